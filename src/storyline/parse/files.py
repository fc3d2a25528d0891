"""Local files into raw items: HTML pages, text files, JSONL records (each optionally .gz)."""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from dateutil import parser as dateparser

from storyline.errors import DecodeError, EmptyInputError, InputError, RecordError, UnsupportedInputError
from storyline.parse.decode import MAX_RECORD_BYTES, decode_text, open_input, read_bytes
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
    file named directly is yielded so that reading it reports its type. A link in a folder
    to a file outside it is an InputError (not followed); a path named directly is read.
    """
    for path in paths:
        if path.is_dir():
            root = path.resolve()
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if hidden or _kind_suffix(child) not in SUPPORTED_SUFFIXES or not child.is_file():
                    continue
                # A link inside the folder may point anywhere (/etc/passwd became an article once):
                # only what lies inside the folder given is read from it.
                target = child.resolve()
                if not target.is_relative_to(root):
                    yield InputError(str(child), f"a link to {target}, outside {path}; not followed",
                                     hint="Import that file by naming it, if you mean to.")
                    continue
                yield child
        elif path.is_file():
            yield path
        else:
            yield InputError(str(path), "no such file or folder", hint="Check the path.")


def read_file(path: Path, *, max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[RawItem | InputError]:
    """The raw items in one file; a bad record is yielded as an error, the rest go on.

    Raises InputError when nothing in the file can be used (unknown type, unreadable,
    empty, undecodable). A page, a text file or a JSONL line larger than ``max_record_bytes``
    is refused (the ``max_record_bytes`` setting), so one huge record cannot exhaust memory.
    """
    kind = _kind_suffix(path)
    if kind not in SUPPORTED_SUFFIXES:
        raise UnsupportedInputError(str(path), f"unknown file type {kind or '(no suffix)'!r}")
    origin = str(path)
    if kind in JSONL_SUFFIXES:
        yield from _jsonl_items(path, origin, max_record_bytes)
        return
    data = read_bytes(path, limit=max_record_bytes, setting="max_record_bytes")
    if kind in HTML_SUFFIXES:
        yield RawItem(origin=origin, html=decode_text(data, origin, html=True), captured_at=_saved_at(path))
    else:
        yield _text_item(decode_text(data, origin), origin, _saved_at(path))


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


def _jsonl_items(path: Path, origin: str, max_record_bytes: int) -> Iterator[RawItem | InputError]:
    found = False
    for where, record in jsonl_records(path, max_record_bytes=max_record_bytes):
        found = True
        if isinstance(record, RecordError):
            yield record
            continue
        try:
            yield record_to_item(record, where)
        except InputError as exc:
            yield exc
    if not found:
        raise EmptyInputError(origin, "no records in the file")


def jsonl_records(path: Path, *, max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[tuple[str, Any]]:
    """Each line's JSON value with its ``file:line``, or the line's ``RecordError``; blank lines skipped.

    Read and decoded a line at a time. JSON Lines are UTF-8: a line that is not is reported
    and skipped, and its neighbours are read as they are (guessing one encoding for the whole
    file from one bad byte would turn every accent of the good lines into mojibake). A line
    longer than ``max_record_bytes`` is skipped without being held in memory.
    """
    origin = str(path)
    try:
        with open_input(path) as handle:
            head = handle.read(8192)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(origin, f"cannot read the file ({exc or type(exc).__name__})",
                         hint="Check that it is readable and, for .gz, not truncated.") from exc
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DecodeError(origin, "binary data, not text", hint="Import HTML, text or JSONL files.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # UTF-32's BOMs start the same way
        # Not UTF-8 at all, but said so: decode the whole file (capped) and go on by line.
        lines: Iterable[bytes | int] = [line.encode("utf-8") for line in
                                        decode_text(read_bytes(path), origin).split("\n")]
    else:
        lines = _lines(path, max_record_bytes)
    for number, line in enumerate(lines, start=1):
        where = f"{origin}:{number}"
        if isinstance(line, int):
            yield where, RecordError(where, f"a record of {_megabytes(line)} is larger than "
                                     f"{_megabytes(max_record_bytes)}",
                                     hint="Raise the max_record_bytes setting to import it.")
            continue
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield where, RecordError(where, f"not UTF-8 (byte 0x{line[exc.start]:02x} at byte {exc.start + 1} "
                                     "of the line)", hint="JSON Lines files are UTF-8; fix or re-encode this line.")
            continue
        if not text.strip():  # Unicode white space (no-break spaces) that bytes.strip() does not see
            continue
        try:
            yield where, json.loads(text)
        except json.JSONDecodeError as exc:
            yield where, RecordError(where, f"not JSON ({exc.msg} at column {exc.colno})")
        except ValueError as exc:  # valid JSON syntax beyond Python's limits (a 5,000-digit number)
            yield where, RecordError(where, f"not usable JSON ({exc})")
        except RecursionError:
            yield where, RecordError(where, "not usable JSON (nested too deeply)")


def _lines(path: Path, limit: int) -> Iterator[bytes | int]:
    """The file's lines as bytes (gunzipped for .gz); a line over ``limit`` bytes comes as its size.

    Lines end at ``\n`` only (``\r`` or U+2028 may sit inside a JSON string).
    """
    with open_input(path) as handle:
        while True:
            try:
                line = handle.readline(limit + 1)
            except (OSError, EOFError, zlib.error) as exc:
                raise InputError(str(path), f"cannot read the file ({exc or type(exc).__name__})",
                                 hint="Check that it is readable and, for .gz, not truncated.") from exc
            if not line:
                return
            if len(line) > limit and not line.endswith(b"\n"):
                size = len(line)
                while chunk := handle.readline(1 << 20):  # skip the rest of the record, a chunk at a time
                    size += len(chunk)
                    if chunk.endswith(b"\n"):
                        break
                yield size
                continue
            yield line.rstrip(b"\r\n")


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


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
