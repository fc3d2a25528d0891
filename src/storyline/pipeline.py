"""The pipeline: Storyline's stages in order, and the one place they meet the store.

Each stage is a plain function from one typed record to the next and touches no database.
Order matters and is written here once:

    parse      files (later feeds, sitemaps) -> RawItem            storyline.parse
    extract    RawItem -> ExtractedArticle: HTML to text+metadata  storyline.extract
    normalize  -> Article: canonical URL, clean text, UTC, hash    storyline.normalize
    store      Article -> stored row, idempotent by canonical URL  storyline.store

Later stages (dedupe, enrich, embed, cluster, summarize) are added to ``ARTICLE_STAGES``
after normalize: they need canonical URLs and clean text to work on.

Errors are collected per item: one bad file, line or page is reported by name and
skipped; the batch goes on. Only a store that cannot be reached stops a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import structlog

from storyline import extract, normalize, parse
from storyline.errors import InputError, StoreError, StoreUnavailableError, StorylineError
from storyline.store import Store
from storyline.types import Article, ImportReport, ItemFailure, RawItem, SourceKind, UpsertOutcome

log = structlog.get_logger(__name__)

Stage = Callable[[Any], Any]

ARTICLE_STAGES: tuple[Stage, ...] = (
    extract.extract_article,  # RawItem -> ExtractedArticle
    normalize.normalize_article,  # ExtractedArticle -> Article
)

BATCH_SIZE = 200


def prepare_article(item: RawItem) -> Article:
    """Run ``item`` through every article stage; raises the stage's StorylineError."""
    record: Any = item
    for stage in ARTICLE_STAGES:
        record = stage(record)
    return record


class _Tally:
    """Counts of one run, turned into an :class:`ImportReport` at the end."""

    def __init__(self) -> None:
        self.outcomes = dict.fromkeys(UpsertOutcome, 0)
        self.failures: list[ItemFailure] = []

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


def _store_batch(
    store: Store, batch: Sequence[tuple[str, Article]], source_id: int | None, tally: _Tally
) -> None:
    if not batch:
        return
    # Within one batch the same canonical URL twice is one article: the last copy wins.
    latest = {article.canonical_url: (origin, article) for origin, article in batch}
    items = list(latest.values())
    try:
        results = store.upsert_articles([a for _, a in items], source_id=source_id)
    except StoreUnavailableError:
        raise
    except StoreError:
        if len(items) == 1:
            raise
        # One bad row fails the whole atomic batch: store one by one to find it.
        for origin, article in items:
            try:
                results_one = store.upsert_articles([article], source_id=source_id)
            except StoreUnavailableError:
                raise
            except StoreError as exc:
                tally.fail(origin, exc)
                continue
            tally.outcomes[results_one[0].outcome] += 1
        return
    for result in results:
        tally.outcomes[result.outcome] += 1


def ingest(
    items: Iterable[RawItem | InputError],
    store: Store,
    *,
    source_id: int | None = None,
    tally: _Tally | None = None,
) -> ImportReport:
    """Run raw items through the stages and store them in batches; errors are per item."""
    tally = tally or _Tally()
    batch: list[tuple[str, Article]] = []
    for item in items:
        if isinstance(item, InputError):
            tally.fail(item.subject, item)
            continue
        try:
            batch.append((item.origin, prepare_article(item)))
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
) -> ImportReport:
    """Import files and folders (recursively); a bad file is reported and skipped."""
    tally = _Tally()
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
