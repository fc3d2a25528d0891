"""Duplicates over a stream of records (``storyline dedupe``): exact, then near, then syndication.

Order, per record as it arrives:

1. exact: the same canonical URL, or the same content hash (same words), as an earlier
   record is a duplicate of it;
2. near: the MinHash index (``storyline.dedupe``) finds an earlier copy — boilerplate,
   teaser truncation, rewritten headline, dropped or reordered paragraphs, datelines;
3. at the end, every group of copies gets its original: the credited agency's own copy,
   else the earliest complete one (``syndication_original``).

Credits not given in a record are read from its text (``storyline.extract.credits``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storyline.dedupe import Copy, DuplicateIndex, syndication_original
from storyline.errors import RecordError
from storyline.extract.credits import find_credits
from storyline.normalize import canonical_url, content_hash
from storyline.parse.decode import decode_text, read_bytes
from storyline.parse.files import parse_published


@dataclass(frozen=True, slots=True)
class DedupeOutcome:
    """One output record of ``storyline dedupe``."""

    id: str
    duplicate_of: str | None
    syndication_group: str
    original_id: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "duplicate_of": self.duplicate_of, "syndication_group": self.syndication_group,
                "original_id": self.original_id}


def read_records(path: Path) -> Iterator[tuple[str, Mapping[str, Any] | RecordError]]:
    """The JSON objects of a JSONL file with their ``file:line``; a bad line comes as its error."""
    text = decode_text(read_bytes(path), str(path))
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        origin = f"{path}:{number}"
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            yield origin, RecordError(origin, f"not JSON ({getattr(exc, 'msg', exc)})")
            continue
        yield origin, record if isinstance(record, dict) else RecordError(origin, "not a JSON object")


def _field(record: Mapping[str, Any], name: str, origin: str) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str):
        raise RecordError(origin, f'"{name}" must be a string')
    return value


def dedupe_records(records: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[DedupeOutcome | RecordError]:
    """Outcomes in input order (after the whole stream is read: originals need every copy)."""
    index = DuplicateIndex()
    by_url: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    duplicate_of: dict[str, str | None] = {}
    exact_group: dict[str, str] = {}  # exact copies are not in the index: they join their twin's group
    order: list[str | RecordError] = []
    for origin, record in records:
        try:
            doc_id, text = _field(record, "id", origin), _field(record, "text", origin) or ""
            if not doc_id:
                raise RecordError(origin, 'no "id" in the record', hint='Each record needs "id" and "text".')
            if doc_id in duplicate_of:
                raise RecordError(origin, f"id {doc_id!r} appears twice")
            url = canonical_url(_field(record, "url", origin) or "") if record.get("url") else None
            credits = record.get("credits")
            credits = tuple(credits) if isinstance(credits, list) else find_credits(text)
            published: datetime | None = parse_published(record.get("published"), origin)
        except RecordError as exc:
            order.append(exc)
            continue
        digest = content_hash(text)
        twin = (by_url.get(url) if url else None) or (by_hash.get(digest) if text.strip() else None)
        if twin is not None:
            duplicate_of[doc_id] = twin
            exact_group[doc_id] = exact_group.get(twin, twin)
        else:
            match = index.add(doc_id, text, credits=credits, published=published,
                              outlet=_field(record, "source", origin), title=_field(record, "title", origin))
            duplicate_of[doc_id] = match.doc_id if match else None
            if url:
                by_url[url] = doc_id
            by_hash.setdefault(digest, doc_id)
        order.append(doc_id)
    yield from _outcomes(index, order, duplicate_of, exact_group)


def _outcomes(
    index: DuplicateIndex, order: list[str | RecordError], duplicate_of: dict[str, str | None],
    exact_group: dict[str, str],
) -> Iterator[DedupeOutcome | RecordError]:
    group_of: dict[str, str] = {}
    original_of: dict[str, str] = {}
    for members in index.groups():
        group_id = members[0].doc_id
        original = syndication_original(members)
        for copy in members:
            group_of[copy.doc_id] = group_id
            original_of[group_id] = original
    for entry in order:
        if isinstance(entry, RecordError):
            yield entry
            continue
        root = exact_group.get(entry, entry)
        group = group_of.get(root, root)
        yield DedupeOutcome(entry, duplicate_of[entry], group, original_of.get(group, group))


__all__ = ["Copy", "DedupeOutcome", "dedupe_records", "read_records"]
