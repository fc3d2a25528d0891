"""Local files into raw items: HTML pages, text files, JSONL records (each optionally .gz)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dateutil import parser as dateparser

from storyline.errors import EmptyInputError, InputError, RecordError, UnsupportedInputError
from storyline.parse.decode import decode_text, read_bytes
from storyline.types import RawItem

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
SUPPORTED_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES | JSONL_SUFFIXES

# What a JSONL record may carry besides title/text; anything else is ignored.
_STRING_FIELDS = ("title", "text", "html", "url", "source", "licence")


def _kind_suffix(path: Path) -> str:
    """The suffix that says what a file holds: ``a.jsonl.gz`` -> ``.jsonl``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def find_input_files(paths: Iterable[Path]) -> Iterator[Path | InputError]:
    """Every importable file under ``paths`` (folders recursively, hidden entries skipped).

    A path that does not exist is yielded as an InputError; files of unknown type inside
    folders are skipped silently (a folder of pages usually holds images too), while a
    file named directly is yielded so that reading it reports its type.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and _kind_suffix(child) in SUPPORTED_SUFFIXES:
                    yield child
        elif path.is_file():
            yield path
        else:
            yield InputError(str(path), "no such file or folder", hint="Check the path.")


def read_file(path: Path) -> Iterator[RawItem | InputError]:
    """The raw items in one file; a bad record is yielded as an error, the rest go on.

    Raises InputError when nothing in the file can be used (unknown type, unreadable,
    empty, undecodable).
    """
    kind = _kind_suffix(path)
    if kind not in SUPPORTED_SUFFIXES:
        raise UnsupportedInputError(str(path), f"unknown file type {kind or '(no suffix)'!r}")
    data = read_bytes(path)
    origin = str(path)
    if kind in HTML_SUFFIXES:
        yield RawItem(origin=origin, html=decode_text(data, origin, html=True))
    elif kind in TEXT_SUFFIXES:
        yield _text_item(decode_text(data, origin), origin)
    else:
        yield from _jsonl_items(decode_text(data, origin), origin)


def _text_item(text: str, origin: str) -> RawItem:
    """A text file: the first non-empty line is the title, the rest the body."""
    lines = text.strip().splitlines()
    title = lines[0].strip().lstrip("#").strip()
    body = "\n".join(lines[1:]).strip()
    if not body:
        raise EmptyInputError(origin, "only one line of text; expected a title line, then the article")
    return RawItem(origin=origin, title=title, text=body)


def _jsonl_items(text: str, origin: str) -> Iterator[RawItem | InputError]:
    found = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = True
        where = f"{origin}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordError(where, f"not JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            yield record_to_item(record, where)
        except InputError as exc:
            yield exc
    if not found:
        raise EmptyInputError(origin, "no records in the file")


def record_to_item(record: Any, origin: str) -> RawItem:
    """One JSON record {title, text | html, url?, source?, published?, authors?} as a raw item."""
    if not isinstance(record, Mapping):
        raise RecordError(origin, f"a JSON {type(record).__name__}, not an object")
    values: dict[str, str | None] = {}
    for name in _STRING_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise RecordError(origin, f'"{name}" must be a string, not {type(value).__name__}')
        values[name] = value.strip() if isinstance(value, str) and value.strip() else None
    if not values["text"] and not values["html"]:
        raise RecordError(origin, 'no "text" (or "html") in the record')
    return RawItem(
        origin=origin,
        title=values["title"],
        text=values["text"],
        html=values["html"],
        url=values["url"],
        outlet=values["source"],
        published=parse_published(record.get("published"), origin),
        authors=_authors(record.get("authors"), origin),
        is_sample=record.get("sample") is True,
        licence=values["licence"],
    )


def _authors(value: Any, origin: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise RecordError(origin, '"authors" must be a string or a list of strings')
    return tuple(a.strip() for a in value if a.strip())


def parse_published(value: Any, origin: str) -> datetime | None:
    """A publication time from ISO text or Unix seconds; times without a zone are UTC."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, (int, float)):
            parsed = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            parsed = dateparser.isoparse(value) if value[:4].isdigit() else dateparser.parse(value)
        else:
            raise TypeError
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise RecordError(
            origin, f'"published" is not a date: {value!r}',
            hint='Use ISO 8601 ("2024-05-01T12:00:00Z") or Unix seconds.',
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
