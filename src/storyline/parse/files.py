"""Local files into raw items: HTML pages, text files, JSONL records (each optionally .gz)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
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

# JSON may spell half a surrogate pair ("\ud83d"); such a string cannot be stored as UTF-8.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")

# Zone names that dates in the wild carry: RFC 822's US zones, and Central European time.
# Any other name is refused rather than silently read as UTC.
_ZONE_HOURS = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "CET": 1, "CEST": 2,
}


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
        yield RawItem(origin=origin, html=decode_text(data, origin, html=True), captured_at=_saved_at(path))
    elif kind in TEXT_SUFFIXES:
        yield _text_item(decode_text(data, origin), origin, _saved_at(path))
    else:
        yield from _jsonl_items(decode_text(data, origin), origin)


def _saved_at(path: Path) -> datetime | None:
    """When the file was last written: the capture time of a saved page."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError, OverflowError):
        return None


def _text_item(text: str, origin: str, captured_at: datetime | None) -> RawItem:
    """A text file, whole: extraction takes the first line as the title of a plain article,
    or reads the page structure of a scraped aggregator page."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) < 2:
        raise EmptyInputError(origin, "only one line of text; expected a title line, then the article")
    return RawItem(origin=origin, text=text.strip(), captured_at=captured_at)


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
        except ValueError as exc:  # valid JSON syntax beyond Python's limits (a 5,000-digit number)
            yield RecordError(where, f"not usable JSON ({exc})")
            continue
        except RecursionError:
            yield RecordError(where, "not usable JSON (nested too deeply)")
            continue
        try:
            yield record_to_item(record, where)
        except InputError as exc:
            yield exc
    if not found:
        raise EmptyInputError(origin, "no records in the file")


def record_to_item(record: Any, origin: str) -> RawItem:
    """One JSON record {title, text | html, url?, source?, published?, authors?, id?} as a raw item."""
    if not isinstance(record, Mapping):
        raise RecordError(origin, f"a JSON {type(record).__name__}, not an object")
    values: dict[str, str | None] = {}
    for name in _STRING_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise RecordError(origin, f'"{name}" must be a string, not {type(value).__name__}')
        value = _storable(value.strip()) if isinstance(value, str) else None
        values[name] = value or None
    if not values["text"] and not values["html"]:
        raise RecordError(origin, 'no "text" (or "html") in the record')
    record_id = record.get("id")
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
        # the record's own id, as a feed entry's (``storyline analyze`` names its output by it)
        guid=str(record_id) if isinstance(record_id, str | int) and not isinstance(record_id, bool) else None,
    )


def _authors(value: Any, origin: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise RecordError(origin, '"authors" must be a string or a list of strings')
    return tuple(_storable(a.strip()) for a in value if a.strip())


def _storable(text: str) -> str:
    """``text`` with lone surrogates replaced, so that it encodes as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """The zone of a parsed date (dateutil's ``tzinfos``); an unknown zone name is an error."""
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    if name is None:
        return None
    hours = _ZONE_HOURS.get(name.upper())
    if hours is None:
        raise ValueError(f"unknown time zone {name!r}")
    return timezone(timedelta(hours=hours))


def _parse_date_text(value: str) -> datetime:
    # Text that starts with digits must be ISO 8601: the general parser would read "12" as
    # the 12th of this month.
    if value[:4].isdigit():
        return dateparser.isoparse(value)
    return dateparser.parse(value, tzinfos=_zone)


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
            parsed = _parse_date_text(value)
        else:
            raise TypeError
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise RecordError(
            origin, f'"published" is not a date: {value!r}',
            hint='Use ISO 8601 ("2024-05-01T12:00:00Z") or Unix seconds.',
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
