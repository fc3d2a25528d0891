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
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storyline.dedupe import (
    Copy,
    DuplicateIndex,
    Match,
    Signature,
    Signatures,
    SyndicationGroup,
    signatures,
    syndication_group,
    syndication_original,
)
from storyline.errors import RecordError
from storyline.extract.credits import find_credits
from storyline.normalize import canonical_url, content_hash
from storyline.parse.decode import decode_text, read_bytes
from storyline.parse.files import parse_published
from storyline.store import Store
from storyline.types import Article, DuplicateLink, StoredArticle


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


def dedupe_records(
    records: Iterable[tuple[str, Mapping[str, Any]]], *, batch_size: int = 1_000
) -> Iterator[DedupeOutcome | RecordError]:
    """Outcomes in input order (after the whole stream is read: originals need every copy).

    Records are signed and matched ``batch_size`` at a time, the same outcome as one by one.
    """
    index = DuplicateIndex()
    by_url: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    duplicate_of: dict[str, str | None] = {}
    exact_group: dict[str, str] = {}  # exact copies are not in the index: they join their twin's group
    order: list[str | RecordError] = []
    pending: list[_Pending] = []
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
            outlet = _field(record, "source", origin)
        except RecordError as exc:
            order.append(exc)
            continue
        digest = content_hash(text)
        twin = (by_url.get(url) if url else None) or (by_hash.get(digest) if text.strip() else None)
        if twin is not None:
            duplicate_of[doc_id] = twin
            exact_group[doc_id] = exact_group.get(twin, twin)
        else:
            duplicate_of[doc_id] = None  # until the batch is matched
            pending.append(_Pending(doc_id, text, credits, published, outlet))
            if url:
                by_url[url] = doc_id
            by_hash.setdefault(digest, doc_id)
            if len(pending) >= batch_size:
                _match(index, pending, duplicate_of)
        order.append(doc_id)
    _match(index, pending, duplicate_of)
    yield from _outcomes(index, order, duplicate_of, exact_group)


@dataclass(frozen=True, slots=True)
class _Pending:
    doc_id: str
    text: str
    credits: tuple[str, ...]
    published: datetime | None
    outlet: str | None


def _match(index: DuplicateIndex, pending: list[_Pending], duplicate_of: dict[str, str | None]) -> None:
    """Add the pending records to the index in one batch, note what each copies, and empty the list."""
    if not pending:
        return
    matches = index.add_batch([p.doc_id for p in pending], signatures([p.text for p in pending]),
                              credits=[p.credits for p in pending], published=[p.published for p in pending],
                              outlets=[p.outlet for p in pending])
    for record, match in zip(pending, matches, strict=True):
        duplicate_of[record.doc_id] = match.doc_id if match else None
    pending.clear()


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


# Articles signed and matched at a time when the index is rebuilt from the store.
_REBUILD_BATCH = 2_000

__all__ = ["CopyFolder", "DedupeOutcome", "dedupe_records", "read_records", "syndication_of"]


class CopyFolder:
    """The duplicates stage inside ingest: each new article joins its group of copies.

    The index lives in memory and is rebuilt, on first use, from the ``window`` most recent
    stored articles (copies of older articles are not looked for: wire copy travels within
    days). Thread-safe: fetch threads store batches concurrently.
    """

    def __init__(self, store: Store, *, window: int = 20_000) -> None:
        self._store = store
        self._window = window
        self._index: DuplicateIndex | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _add(
        index: DuplicateIndex, articles: Sequence[tuple[int, Article | StoredArticle]],
        given: Sequence[Signature | None] = (),
    ) -> list[Match | None]:
        # One batch: signed together (numpy over the batch) and matched together, the same
        # outcome as one by one; a 20,000-article rebuild takes a second, not ten. Signatures
        # made with the articles (in the worker that prepared them) are used as they are.
        if not articles:
            return []
        rows = [s for s in given if s is not None]
        if len(rows) == len(articles):
            signed = Signatures.stack(rows)
        else:
            signed = signatures([article.text for _, article in articles])
        return index.add_batch([str(article_id) for article_id, _ in articles], signed,
                               credits=[tuple(article.credits) for _, article in articles],
                               published=[article.published for _, article in articles],
                               outlets=[article.outlet for _, article in articles])

    def _loaded(self, arriving: set[int]) -> DuplicateIndex:
        if self._index is None:
            index = DuplicateIndex()
            # The batch being folded is stored already: it is added by ``fold``, with its links.
            recent = [(stored.id, stored) for stored in self._store.dedupe_recent(self._window)
                      if stored.id not in arriving]
            for start in range(0, len(recent), _REBUILD_BATCH):
                self._add(index, recent[start : start + _REBUILD_BATCH])
            self._index = index
        return self._index

    def fold(self, new: Sequence[tuple[int, Article, Signature | None]]) -> None:
        """Match each newly stored article against earlier ones and record the groups.

        Each comes with its signature when it was made with the article (else None: signed here).
        """
        links: list[DuplicateLink] = []
        with self._lock:
            index = self._loaded({article_id for article_id, _, _ in new})
            fresh: dict[int, tuple[Article, Signature | None]] = {}
            for article_id, article, signed in new:  # already indexed (a retry), or twice in the batch
                if str(article_id) not in index:
                    fresh.setdefault(article_id, (article, signed))
            batch = [(article_id, article) for article_id, (article, _) in fresh.items()]
            given = [signed for _, signed in fresh.values()]
            for (article_id, _), match in zip(batch, self._add(index, batch, given), strict=True):
                if match is None:
                    continue
                group_id = int(match.group_id)
                links.append(DuplicateLink(group_id, group_id, None))  # the group's first article
                links.append(DuplicateLink(article_id, group_id, int(match.doc_id), match.rule,
                                           round(match.jaccard, 4)))
        self._store.save_duplicates(list({link.article_id: link for link in reversed(links)}.values()))


def syndication_of(store: Store, article_id: int) -> SyndicationGroup | None:
    """The group of copies ``article_id`` belongs to, its original and carrying outlets; None alone."""
    members = store.group_members(article_id)
    if len(members) < 2:
        return None
    copies = [Copy(str(a.id), credits=a.credits, outlet=a.outlet, published=a.published, words=a.word_count)
              for a in members]
    return syndication_group(copies)
