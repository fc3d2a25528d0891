"""The pipeline: Storyline's stages in order, and the one place they meet the store.

Each stage is a plain function from one typed record to the next and touches no database.
Order matters and is written here once:

    parse      files (later feeds, sitemaps) -> RawItem            storyline.parse
    extract    RawItem -> ExtractedArticle: HTML to text+metadata  storyline.extract
               (an aggregator page also yields its related articles: each goes on alone)
    normalize  -> Article: canonical URL, clean text, UTC, hash    storyline.normalize
    store      Article -> stored row, idempotent by canonical URL  storyline.store
               (with the page's HTML, compressed, for `storyline reprocess`)

Later stages (dedupe, enrich, embed, cluster, summarize) are added to ``ARTICLE_STAGES``
after normalize: they need canonical URLs and clean text to work on.

Errors are collected per item: one bad file, line or page is reported by name and
skipped; the batch goes on. Only a store that cannot be reached stops a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from storyline import extract, normalize, parse
from storyline.dedupe import Signature, signatures
from storyline.errors import ExtractError, InputError, StoreError, StoreUnavailableError, StorylineError
from storyline.store import Store
from storyline.types import (
    Article,
    ExtractedArticle,
    ImportReport,
    ItemFailure,
    RawItem,
    RawPage,
    SourceKind,
    UpsertOutcome,
    UpsertResult,
)

log = structlog.get_logger(__name__)

Stage = Callable[[Any], Any]

EXTRACT: Callable[[RawItem], ExtractedArticle] = extract.extract_article
ARTICLE_STAGES: tuple[Stage, ...] = (
    normalize.normalize_article,  # ExtractedArticle -> Article
)

BATCH_SIZE = 200


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An article ready to store, with the input it came from and the page to keep."""

    origin: str
    article: Article
    page_html: str | None = None
    guid: str | None = None  # the feed item's id, remembered against the stored article
    signature: Signature | None = None  # made where it was prepared (a worker), for the duplicates stage


# One item after the stages: its article (and related ones found with it), or why it failed.
Prepared = list[_Prepared] | ItemFailure


def prepare_articles(item: RawItem) -> list[Article]:
    """Run ``item`` through every stage: its article first, then related ones found with it."""
    return [p.article for p in _prepare(item)]


def _prepare(item: RawItem) -> list[_Prepared]:
    extracted = EXTRACT(item)
    prepared = []
    for index, found in enumerate((extracted, *extracted.related)):
        record: Any = dataclasses.replace(found, related=()) if found.related else found
        for stage in ARTICLE_STAGES:
            record = stage(record)
        # Only the page's own article was extracted from its HTML.
        page_html = item.html if index == 0 and not item.html_is_fragment else None
        prepared.append(_Prepared(found.origin if index == 0 else f"{item.origin} (related {index})",
                                  record, page_html, item.guid if index == 0 else None))
    return prepared


def prepare_many(items: Sequence[RawItem]) -> list[Prepared]:
    """``_prepare`` over a batch, failures as values: runs in a worker process (picklable in and out).

    The articles are signed for the duplicates stage here too, in one batch: the process
    that stores them (one for all feeds) then only looks them up.
    """
    results: list[Prepared] = []
    for item in items:
        try:
            results.append(_prepare(item))
        except StorylineError as exc:
            reason = f"{exc.message}. {exc.hint}" if exc.hint else exc.message
            results.append(ItemFailure(origin=item.origin, reason=reason))
        except Exception as exc:  # a bug a stage let out: this item fails, its feed's other items go on
            log.exception("item_prepare_crashed", origin=item.origin)
            results.append(ItemFailure(origin=item.origin,
                                       reason=f"an unexpected error in Storyline ({type(exc).__name__}: {exc})"))
    return _signed(results)


def _signed(results: list[Prepared]) -> list[Prepared]:
    prepared = [p for result in results if not isinstance(result, ItemFailure) for p in result]
    if not prepared:
        return results
    try:
        signed = iter(signatures([p.article.text for p in prepared]))
    except Exception:  # the duplicates stage signs them itself, as for files
        log.exception("signing_failed", items=len(prepared))
        return results
    return [result if isinstance(result, ItemFailure)
            else [dataclasses.replace(p, signature=next(signed)) for p in result] for result in results]


# Called with the articles a batch inserted (id, article, its signature if it was made with
# it): the duplicates stage folds copies, the story stage places them.
NewArticles = Callable[[Sequence[tuple[int, Article, Signature | None]]], None]


class _Tally:
    """One run: its counts (an :class:`ImportReport` at the end) and what to call on new articles."""

    def __init__(self, on_new: NewArticles | None = None) -> None:
        self.outcomes = dict.fromkeys(UpsertOutcome, 0)
        self.failures: list[ItemFailure] = []
        self.on_new = on_new

    def count(self, items: Sequence[_Prepared], results: Sequence[UpsertResult]) -> None:
        new = []
        for item, result in zip(items, results, strict=True):
            self.outcomes[result.outcome] += 1
            if result.outcome is UpsertOutcome.INSERTED:
                new.append((result.article_id, item.article, item.signature))
        if new and self.on_new is not None:
            self.on_new(new)

    def fail(self, origin: str, error: Exception) -> None:
        reason = error.message if isinstance(error, StorylineError) else str(error)
        if isinstance(error, StorylineError) and error.hint:
            reason = f"{reason}. {error.hint}"
        self.failures.append(ItemFailure(origin=origin, reason=reason))
        # Info, not warning: the report carries every failure to the user (the CLI prints
        # each once); a warning would name the same input a second time.
        log.info("item_skipped", origin=origin, reason=reason)

    def report(self) -> ImportReport:
        return ImportReport(
            inserted=self.outcomes[UpsertOutcome.INSERTED],
            updated=self.outcomes[UpsertOutcome.UPDATED],
            unchanged=self.outcomes[UpsertOutcome.UNCHANGED],
            failures=tuple(self.failures),
        )


def _after_store(items: Sequence[_Prepared], results: Sequence[UpsertResult], store: Store) -> None:
    """Keep the pages of changed articles (their feed items' GUIDs are recorded with them)."""
    now = datetime.now(UTC)
    pages = [
        RawPage(article_id=result.article_id, url=item.article.url, origin=item.origin,
                fetched_at=now, html=item.page_html)
        for item, result in zip(items, results, strict=True)
        if item.page_html is not None and result.outcome is not UpsertOutcome.UNCHANGED
    ]
    if pages:
        store.save_raw_pages(pages)


def _upsert(store: Store, items: Sequence[_Prepared], source_id: int | None, revisions: bool) -> list[UpsertResult]:
    """Store ``items``, recording which article each feed item became in the same transaction."""
    guids = [item.guid for item in items] if source_id is not None and any(item.guid for item in items) else None
    results = store.upsert_articles([p.article for p in items], source_id=source_id, revisions=revisions, guids=guids)
    _after_store(items, results, store)
    return results


def _store_batch(
    store: Store, batch: Sequence[_Prepared], source_id: int | None, tally: _Tally, *, revisions: bool = True
) -> None:
    if not batch:
        return
    # Within one batch the same canonical URL twice is one article: the last copy wins.
    items = list({p.article.canonical_url: p for p in batch}.values())
    try:
        results = _upsert(store, items, source_id, revisions)
    except StoreUnavailableError:
        raise
    except StoreError:
        if len(items) == 1:
            raise
        # One bad row fails the whole atomic batch: store one by one to find it.
        for item in items:
            try:
                results_one = _upsert(store, [item], source_id, revisions)
            except StoreUnavailableError:
                raise
            except StoreError as exc:
                tally.fail(item.origin, exc)
                continue
            tally.count([item], results_one)
        return
    tally.count(items, results)


def ingest(
    items: Iterable[RawItem | InputError],
    store: Store,
    *,
    source_id: int | None = None,
    tally: _Tally | None = None,
) -> ImportReport:
    """Run raw items through the stages and store them in batches; errors are per item."""
    tally = tally or _Tally()
    batch: list[_Prepared] = []
    for item in items:
        if isinstance(item, InputError):
            tally.fail(item.subject, item)
            continue
        try:
            batch.extend(_prepare(item))
        except StorylineError as exc:
            tally.fail(item.origin, exc)
            continue
        if len(batch) >= BATCH_SIZE:
            _store_batch(store, batch, source_id, tally)
            batch = []
    _store_batch(store, batch, source_id, tally)
    return tally.report()


def import_paths(
    paths: Sequence[Path],
    store: Store,
    *,
    source_kind: SourceKind = SourceKind.FILE,
    on_file: Callable[[Path], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_new: NewArticles | None = None,
) -> ImportReport:
    """Import files and folders (recursively); a bad file is reported and skipped."""
    tally = _Tally(on_new)
    for path in paths:
        files = list(parse.find_input_files([path]))
        if on_total is not None:
            on_total(len(files))
        usable = [f for f in files if isinstance(f, Path)]
        source_id = None
        if usable:
            resolved = path.resolve()
            source = store.ensure_source(source_kind, resolved.as_uri(), resolved.name)
            source_id = source.id
        for entry in files:
            if isinstance(entry, InputError):
                tally.fail(entry.subject, entry)
            else:
                try:
                    ingest(parse.read_file(entry), store, source_id=source_id, tally=tally)
                except InputError as exc:
                    tally.fail(exc.subject, exc)
            if on_file is not None:
                on_file(entry if isinstance(entry, Path) else Path(entry.subject))
    report = tally.report()
    log.info("import_finished", inserted=report.inserted, updated=report.updated,
             unchanged=report.unchanged, failed=len(report.failures))
    return report


def store_feed_items(
    results: Sequence[Prepared], store: Store, *, source_id: int, on_new: NewArticles | None = None
) -> ImportReport:
    """Store a feed's prepared items (``prepare_many``'s results, in feed order); failures are reported.

    An item whose GUID was seen before updates the article it became then, even if its
    link or title was edited since (unstable links must not create duplicates).
    """
    tally = _Tally(on_new)
    prepared = [result for result in results if not isinstance(result, ItemFailure)]
    tally.failures.extend(result for result in results if isinstance(result, ItemFailure))
    known = store.item_articles(source_id, [result[0].guid for result in prepared if result[0].guid])
    batch: list[_Prepared] = []
    for first, *related in prepared:
        stored = store.get_article(known[first.guid]) if first.guid in known else None
        if stored is not None and stored.canonical_url != first.article.canonical_url:
            first = dataclasses.replace(
                first, article=dataclasses.replace(first.article, canonical_url=stored.canonical_url)
            )
        batch.extend([first, *related])
    for start in range(0, len(batch), BATCH_SIZE):
        _store_batch(store, batch[start:start + BATCH_SIZE], source_id, tally)
    return tally.report()


def reprocess(store: Store, *, on_page: Callable[[str], None] | None = None) -> ImportReport:
    """Extract every kept page again (after an extractor upgrade) and update its article.

    The article keeps its id and canonical URL even if the new extraction would name
    another: reprocessing refines an article, it never creates one.
    """
    tally = _Tally()
    after = 0
    while pages := store.raw_pages(after_article_id=after, limit=BATCH_SIZE):
        after = pages[-1].article_id
        batch: list[_Prepared] = []
        for page in pages:
            stored = store.get_article(page.article_id)
            item = RawItem(origin=page.origin, html=page.html, url=page.url, captured_at=page.fetched_at,
                           outlet=stored.outlet if stored else None,
                           is_sample=stored.is_sample if stored else False,
                           licence=stored.licence if stored else None)
            try:
                first = _prepare(item)[0]
            except StorylineError as exc:
                tally.fail(page.origin, exc)
                continue
            if stored is not None:
                first = dataclasses.replace(
                    first, article=dataclasses.replace(first.article, canonical_url=stored.canonical_url)
                )
            batch.append(first)
            if on_page is not None:
                on_page(page.origin)
        _store_batch(store, batch, None, tally, revisions=False)  # re-extraction, not an edit
    return tally.report()


def extract_paths(
    paths: Sequence[Path], *, captured_at: datetime | None = None
) -> Iterable[ExtractedArticle | InputError | ExtractError]:
    """Extraction alone, no store: one result or error per item in the files (for the CLI)."""
    for entry in parse.find_input_files(paths):
        if isinstance(entry, InputError):
            yield entry
            continue
        try:
            for item in parse.read_file(entry):
                if isinstance(item, InputError):
                    yield item
                    continue
                if captured_at is not None:
                    item = dataclasses.replace(item, captured_at=captured_at)
                try:
                    yield EXTRACT(item)
                except ExtractError as exc:
                    yield exc
        except InputError as exc:
            yield exc
