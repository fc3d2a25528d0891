"""Batch runs of ingest's stages over JSONL records: ``storyline dedupe``, ``storyline cluster``, the gates.

Neither orchestrates a stage of its own:

- :func:`dedupe_records` runs the copies stage's matching (``copies.match_batch``) over the
  records, after the exact rules the store applies in ingest (same canonical URL, same words);
- :func:`summarize_records` summarises stories given as records (``storyline summarize``): each
  record through the per-item stages as ingest prepares it, each story's articles through the
  summaries stage's ranking;
- :func:`cluster_records` imports the records, in the order given, into a scratch store through
  :class:`~storyline.ingest.runner.Ingest` with the user's settings — extract, normalize,
  store, copies, stories, exactly as ``storyline import`` runs them — and reads back each
  record's story. The quality gates, ``storyline eval clustering`` and the model-fitting
  script call it, so what they measure is what users run.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storyline.cluster import StoryClusterer
from storyline.config import Settings
from storyline.dedupe import DuplicateIndex, syndication_original
from storyline.embed import Embedder
from storyline.errors import RecordError, StorylineError
from storyline.extract.credits import find_credits
from storyline.ingest.copies import match_batch
from storyline.ingest.prepare import prepare_item
from storyline.ingest.runner import Ingest, Tally
from storyline.ingest.stories import StoryStage
from storyline.normalize import canonical_url, content_hash
from storyline.parse.files import jsonl_records, parse_published
from storyline.store import open_store
from storyline.summarize import Report, Vocabulary, analyse, summarize_reports
from storyline.summarize.story import MAX_CHARS
from storyline.types import Article, RawItem, SummarySentence

__all__ = ["DedupeOutcome", "Record", "StoryRun", "cluster_records", "date_order", "dedupe_records", "read_records",
           "summarize_records"]


def read_records(path: Path) -> Iterator[tuple[str, Mapping[str, Any] | RecordError]]:
    """The JSON objects of a JSONL file with their ``file:line``; a bad line comes as its error."""
    for origin, record in jsonl_records(path):
        if isinstance(record, RecordError | dict):
            yield origin, record
        else:
            yield origin, RecordError(origin, "not a JSON object")


# -- copies -------------------------------------------------------------------------------------


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


def _field(record: Mapping[str, Any], name: str, origin: str) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str):
        raise RecordError(origin, f'"{name}" must be a string')
    return value


def dedupe_records(
    records: Iterable[tuple[str, Mapping[str, Any]]], *, batch_size: int = 1_000
) -> Iterator[DedupeOutcome | RecordError]:
    """Outcomes in input order (after the whole stream is read: originals need every copy).

    Order, per record as it arrives: 1. exact: the same canonical URL as an earlier record (or,
    for records without a URL, the same words) is a duplicate of it, as the store makes them
    one article in ingest; 2. near: the copies stage's matching, ``batch_size`` records at a time
    (the same outcome as one by one); 3. at the end, every group of copies gets its original:
    the credited agency's own copy, else the earliest complete one (``syndication_original``).
    Credits not given in a record are read from its text.
    """
    index = DuplicateIndex()
    by_url: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    duplicate_of: dict[str, str | None] = {}
    exact_group: dict[str, str] = {}  # exact copies are not in the index: they join their twin's group
    order: list[str | RecordError] = []
    pending: list[tuple[str, Article]] = []
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
        # The store's rule: one article per canonical URL (a record without a URL is keyed by
        # its words, as ingest keys an article without one). Other identical texts are copies
        # the index finds, as in ingest, so their group's original is chosen among them too.
        twin = by_url.get(url) if url else (by_hash.get(digest) if text.strip() else None)
        if twin is not None:
            duplicate_of[doc_id] = twin
            exact_group[doc_id] = exact_group.get(twin, twin)
        else:
            duplicate_of[doc_id] = None  # until the batch is matched
            pending.append((doc_id, Article(canonical_url=url or doc_id, url=url, title="", text=text,
                                            content_hash=digest, outlet=outlet, published=published,
                                            credits=credits)))
            if url:
                by_url[url] = doc_id
            else:
                by_hash.setdefault(digest, doc_id)
            if len(pending) >= batch_size:
                _match(index, pending, duplicate_of)
        order.append(doc_id)
    _match(index, pending, duplicate_of)
    yield from _outcomes(index, order, duplicate_of, exact_group)


def _match(index: DuplicateIndex, pending: list[tuple[str, Article]], duplicate_of: dict[str, str | None]) -> None:
    """Match the pending records as one batch, note what each copies, and empty the list."""
    matches = match_batch(index, [doc_id for doc_id, _ in pending], [article for _, article in pending])
    for (doc_id, _), match in zip(pending, matches, strict=True):
        duplicate_of[doc_id] = match.doc_id if match else None
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


# -- stories ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One article of a batch run, as a JSONL line or a labelled corpus gives it."""

    doc_id: str
    title: str
    text: str
    published: datetime | None = None
    url: str | None = None
    outlet: str | None = None


@dataclass(frozen=True, slots=True)
class StoryRun:
    """Each record's story (merged stories resolved; a record that could not be stored is alone)."""

    story_of: dict[str, int]
    copies: int  # records that joined their original's story as a copy
    merges: int  # stories folded into another on the way
    failed: tuple[str, ...]  # doc ids the stages refused (no text left): each is its own story


def date_order(records: Sequence[Record]) -> list[Record]:
    """Dated records sorted by date (stable) into the dated records' places; undated ones keep theirs.

    The order a live stream would have brought them in, as far as the records tell.
    """
    dated_places = [i for i, r in enumerate(records) if r.published is not None]
    dated = sorted((records[i] for i in dated_places), key=lambda r: r.published or datetime.min)
    out = list(records)
    for place, record in zip(dated_places, dated, strict=True):
        out[place] = record
    return out


def cluster_records(
    records: Sequence[Record],
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    clusterer: Callable[[Mapping[str, int]], StoryClusterer] | None = None,
    window_days: float | None = None,
) -> StoryRun:
    """Import ``records`` in date order (``date_order``) into a scratch store through ingest; the story of each.

    ``embedder`` replaces the settings' one (a gate's shared cache); ``clusterer`` makes the
    clusterer (the fitting script's gold follower) from the map of record id -> stored article
    id, which fills as records are stored (the clusterer sees article ids); ``window_days``
    the story window setting.
    """
    settings = dataclasses.replace(settings, stories=True)
    items = [RawItem(origin=r.doc_id, title=r.title, text=r.text, url=r.url, outlet=r.outlet, published=r.published)
             for r in date_order(records)]
    with tempfile.TemporaryDirectory(prefix="storyline-batch-") as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'batch.db'}")
        try:
            tally = Tally(keep_ids=True)
            article_of = tally.article_of
            assert article_of is not None
            make = (lambda: clusterer(article_of)) if clusterer is not None else None
            stories = StoryStage.from_settings(store, settings, embedder=embedder, clusterer=make,
                                               window_days=window_days, background=False)
            ingest = Ingest(store, settings, replace={"stories": stories})
            try:
                ingest.ingest(items, tally=tally)
                ingest.drain()
            finally:
                ingest.close()
            story_by_article = store.stories_of(list(set(article_of.values())))
            copies = store.copied_from(list(set(article_of.values())))
        finally:
            store.close()
    story_of: dict[str, int] = {}
    failed = []
    for record in records:
        article = article_of.get(record.doc_id)
        story = story_by_article.get(article) if article is not None else None
        if story is None:  # refused by a stage: a story of its own, never shared
            failed.append(record.doc_id)
            story = -len(failed)
        story_of[record.doc_id] = story
    copied = sum(1 for r in records if article_of.get(r.doc_id) in copies)
    return StoryRun(story_of, copied, stories.merges, tuple(failed))



# -- summaries ----------------------------------------------------------------------------------


def summarize_records(
    stories: Mapping[str, Sequence[Record]], *, max_words: int | None = None
) -> Iterator[tuple[str, tuple[SummarySentence, ...]] | StorylineError]:
    """Each story's summary (``stories``: story -> its records), in order; a record the stages refuse is skipped.

    Citations name the records' ids and count sentences in the text as the stages clean it.
    Without ``max_words``, the summary a story page shows (3-6 sentences); with it, the same
    ranking filled up to that many words.
    """
    vocabulary = Vocabulary()
    for story, records in stories.items():
        reports = []
        for record in records:
            item = RawItem(origin=record.doc_id, title=record.title, text=record.text, url=record.url,
                           outlet=record.outlet, published=record.published)
            try:
                article = prepare_item(item)[0].article
            except StorylineError as exc:
                yield exc
                continue
            reports.append(Report(record.doc_id, article.published, analyse(article.text[:MAX_CHARS], vocabulary)))
        yield story, summarize_reports(reports, max_words=max_words)
