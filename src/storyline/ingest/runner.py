"""Ingest: prepared articles into the store, then through the stored stages, in ``pipeline``'s order.

One :class:`Ingest` per store serves every entry point: live refresh (``store_feed_items``),
file imports (``import_paths``, ``ingest``), re-extraction (``reprocess``) and the batch
commands and gates (``storyline.ingest.batch``). Errors are collected per item: one bad file,
line or page is reported by name and skipped; the batch goes on. Only a store that cannot be
reached stops a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import structlog

from storyline import metrics, parse
from storyline.config import Settings
from storyline.errors import InputError, StoreError, StoreUnavailableError, StorylineError
from storyline.ingest import pipeline
from storyline.ingest.items import NewArticle, Prepared, PreparedArticle
from storyline.ingest.prepare import prepare_item
from storyline.parse.decode import MAX_RECORD_BYTES
from storyline.store import Store
from storyline.types import ImportReport, ItemFailure, RawItem, RawPage, SourceKind, UpsertOutcome, UpsertResult

__all__ = ["BATCH_SIZE", "Ingest", "Tally"]

log = structlog.get_logger(__name__)

# Without settings (a batch run given its stages): the settings' defaults.
MAX_ARTICLE_CHARS = 200_000

BATCH_SIZE = 200


class Tally:
    """One run's counts (an :class:`ImportReport` at the end); with ``keep_ids``, which article each input became."""

    def __init__(self, *, keep_ids: bool = False) -> None:
        self.outcomes = dict.fromkeys(UpsertOutcome, 0)
        self.failures: list[ItemFailure] = []
        self.notes: list[ItemFailure] = []  # stored, but not as they came (a text cut to the cap)
        self.article_of: dict[str, int] | None = {} if keep_ids else None

    def count(
        self, items: Sequence[PreparedArticle], results: Sequence[UpsertResult], *, redo_unchanged: bool = False
    ) -> tuple[list[NewArticle], list[NewArticle]]:
        """Count a stored batch; the articles it inserted, and those whose per-article results must be stored again.

        Those are the updated ones (an edit), and with ``redo_unchanged`` (``reprocess``, which
        re-runs the per-article stages on every kept page) the unchanged ones too.
        """
        new, changed = [], []
        for item, result in zip(items, results, strict=True):
            self.outcomes[result.outcome] += 1
            if self.article_of is not None:
                self.article_of[item.origin] = result.article_id
            if result.outcome is UpsertOutcome.INSERTED:
                new.append(NewArticle(result.article_id, item.article, item.signature))
            elif result.outcome is UpsertOutcome.UPDATED or redo_unchanged:
                changed.append(NewArticle(result.article_id, item.article, item.signature))
        return new, changed

    def fail(self, origin: str, error: Exception) -> None:
        reason = error.message if isinstance(error, StorylineError) else str(error)
        if isinstance(error, StorylineError) and error.hint:
            reason = f"{reason}. {error.hint}"
        self.failures.append(ItemFailure(origin=origin, reason=reason))
        # Info, not warning: the report carries every failure to the user (the CLI prints
        # each once); a warning would name the same input a second time.
        log.info("item_skipped", origin=origin, reason=reason)

    def note(self, origin: str, message: str) -> None:
        self.notes.append(ItemFailure(origin=origin, reason=message))
        log.info("item_changed", origin=origin, reason=message)

    def report(self) -> ImportReport:
        return ImportReport(
            inserted=self.outcomes[UpsertOutcome.INSERTED],
            updated=self.outcomes[UpsertOutcome.UPDATED],
            unchanged=self.outcomes[UpsertOutcome.UNCHANGED],
            failures=tuple(self.failures),
            notes=tuple(self.notes),
        )


class Ingest:
    """The store step and the stored stages of ``pipeline.STORED_STAGES``, for one store.

    ``settings`` turn stages on or off and configure them; ``replace`` swaps a stage by name
    for one built by the caller (a gate's embedder cache, the fitting script's clusterer), in
    its place in the order; ``stored_stages=()`` stores articles and runs no stage after.
    Thread-safe: fetch threads store batches concurrently (each stage serialises itself).
    """

    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        *,
        replace: Mapping[str, pipeline.StoredStage] | None = None,
        stored_stages: Sequence[pipeline.StoredStage] | None = None,
    ) -> None:
        self.store = store
        self.max_record_bytes = settings.max_record_bytes if settings else MAX_RECORD_BYTES
        self.max_article_chars = settings.max_article_chars if settings else MAX_ARTICLE_CHARS
        if stored_stages is not None:
            self.stages = list(stored_stages)
        else:
            if settings is None:
                raise ValueError("Ingest needs settings to build its stages (or stored_stages)")
            replace = replace or {}
            self.stages = [replace[name] if name in replace else factory(store, settings)
                           for name, factory, enabled in pipeline.STORED_STAGES if enabled(settings)]

    def stage(self, name: str) -> pipeline.StoredStage | None:
        """The stored stage called ``name``, if it runs."""
        return next((stage for stage in self.stages if stage.name == name), None)

    # -- entry points ---------------------------------------------------------------------------

    def ingest(
        self, items: Iterable[RawItem | InputError], *, source_id: int | None = None, tally: Tally | None = None
    ) -> ImportReport:
        """Run raw items through every stage and store them in batches; errors are per item."""
        tally = tally or Tally()
        batch: list[PreparedArticle] = []
        for item in items:
            if isinstance(item, InputError):
                tally.fail(item.subject, item)
                continue
            try:
                batch.extend(prepare_item(item))
            except StorylineError as exc:
                tally.fail(item.origin, exc)
                continue
            if len(batch) >= BATCH_SIZE:
                self._store_batch(batch, source_id, tally)
                batch = []
        self._store_batch(batch, source_id, tally)
        return tally.report()

    def import_paths(
        self,
        paths: Sequence[Path],
        *,
        source_kind: SourceKind = SourceKind.FILE,
        on_file: Callable[[Path], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import files and folders (recursively); a bad file is reported and skipped. Stages are done on return."""
        tally = Tally()
        for path in paths:
            files = list(parse.find_input_files([path]))
            if on_total is not None:
                on_total(len(files))
            usable = [f for f in files if isinstance(f, Path)]
            source_id = None
            if usable:
                resolved = path.resolve()
                source_id = self.store.ensure_source(source_kind, resolved.as_uri(), resolved.name).id
            for entry in files:
                if isinstance(entry, InputError):
                    tally.fail(entry.subject, entry)
                else:
                    try:
                        self.ingest(parse.read_file(entry, max_record_bytes=self.max_record_bytes),
                                    source_id=source_id, tally=tally)
                    except InputError as exc:
                        tally.fail(exc.subject, exc)
                if on_file is not None:
                    on_file(entry if isinstance(entry, Path) else Path(entry.subject))
        self.drain()
        report = tally.report()
        log.info("import_finished", inserted=report.inserted, updated=report.updated,
                 unchanged=report.unchanged, failed=len(report.failures))
        return report

    def store_feed_items(self, results: Sequence[Prepared], *, source_id: int) -> ImportReport:
        """Store a feed's prepared items (``prepare_many``'s results, in feed order); failures are reported.

        An item whose GUID was seen before updates the article it became then, even if its
        link or title was edited since (unstable links must not create duplicates).
        """
        tally = Tally()
        prepared = [result for result in results if not isinstance(result, ItemFailure)]
        tally.failures.extend(result for result in results if isinstance(result, ItemFailure))
        known = self.store.item_articles(source_id, [result[0].guid for result in prepared if result[0].guid])
        batch: list[PreparedArticle] = []
        for first, *related in prepared:
            stored = self.store.get_article(known[first.guid]) if first.guid in known else None
            if stored is not None and stored.canonical_url != first.article.canonical_url:
                first = dataclasses.replace(
                    first, article=dataclasses.replace(first.article, canonical_url=stored.canonical_url)
                )
            batch.extend([first, *related])
        for start in range(0, len(batch), BATCH_SIZE):
            self._store_batch(batch[start:start + BATCH_SIZE], source_id, tally)
        return tally.report()

    def reprocess(self, *, on_page: Callable[[str], None] | None = None) -> ImportReport:
        """Extract every kept page again (after an extractor upgrade) and update its article.

        The article keeps its id and canonical URL even if the new extraction would name
        another: reprocessing refines an article, it never creates one.
        """
        tally = Tally()
        after = 0
        while pages := self.store.raw_pages(after_article_id=after, limit=BATCH_SIZE):
            after = pages[-1].article_id
            batch: list[PreparedArticle] = []
            for page in pages:
                stored = self.store.get_article(page.article_id)
                item = RawItem(origin=page.origin, html=page.html, url=page.url, captured_at=page.fetched_at,
                               outlet=stored.outlet if stored else None,
                               is_sample=stored.is_sample if stored else False,
                               licence=stored.licence if stored else None)
                try:
                    first = prepare_item(item)[0]
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
            # re-extraction, not an edit; the per-article stages' results are stored again
            self._store_batch(batch, None, tally, revisions=False, redo_unchanged=True)
        self.drain()
        return tally.report()

    def drain(self) -> None:
        """Return once every stored stage has finished what it was given (stories run in the background)."""
        for stage in self.stages:
            stage.drain()

    def close(self) -> None:
        """Finish and close every stored stage (checkpoints are saved); the store stays open."""
        for stage in self.stages:
            try:
                stage.close()
            except StorylineError as exc:  # the next start replays from the previous checkpoint
                log.warning("stage_close_failed", stage=stage.name, error=str(exc))

    # -- the store step and the stored stages ----------------------------------------------------

    def _stored(self, counted: tuple[list[NewArticle], list[NewArticle]]) -> None:
        """Give newly inserted articles to the stored stages, in order; changed ones to the stages that revise."""
        new, changed = counted
        for stage in self.stages:
            try:
                if new:
                    stage.process(new)
                    if stage.name != "stories":  # counted as they are assigned (in the background)
                        metrics.ARTICLES.labels(stage=stage.name).inc(len(new))
                if changed and isinstance(stage, pipeline.RevisingStage):
                    stage.revise(changed)
            except StoreUnavailableError:
                raise
            except Exception:  # the articles are stored; a stage's failure must not lose the batch
                log.exception("stored_stage_failed", stage=stage.name, articles=len(new) + len(changed))

    def _capped(self, item: PreparedArticle, tally: Tally) -> PreparedArticle:
        """The item with its text cut to ``max_article_chars`` (at a paragraph, else a space), noted.

        A 50 MB "article" would be served whole on every page that shows it.
        """
        text = item.article.text
        limit = self.max_article_chars
        if len(text) <= limit:
            return item
        cut = text.rfind("\n\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        tally.note(item.origin, f"its text of {len(text):,} characters was cut to {cut:,} "
                                f"(the max_article_chars setting is {limit:,})")
        article = dataclasses.replace(item.article, text=text[:cut].rstrip())
        return dataclasses.replace(item, article=article)

    def _upsert(self, items: Sequence[PreparedArticle], source_id: int | None, revisions: bool) -> list[UpsertResult]:
        """Store ``items`` (recording which article each feed item became) and keep their pages."""
        guids = [item.guid for item in items] if source_id is not None and any(item.guid for item in items) else None
        results = self.store.upsert_articles([p.article for p in items], source_id=source_id, revisions=revisions,
                                             guids=guids)
        now = datetime.now(UTC)
        pages = [
            RawPage(article_id=result.article_id, url=item.article.url, origin=item.origin,
                    fetched_at=now, html=item.page_html)
            for item, result in zip(items, results, strict=True)
            if item.page_html is not None and result.outcome is not UpsertOutcome.UNCHANGED
        ]
        if pages:
            self.store.save_raw_pages(pages)
        return results

    def _store_batch(
        self, batch: Sequence[PreparedArticle], source_id: int | None, tally: Tally, *, revisions: bool = True,
        redo_unchanged: bool = False,
    ) -> None:
        if not batch:
            return
        metrics.ARTICLES.labels(stage="prepared").inc(len(batch))
        batch = [self._capped(p, tally) for p in batch]
        # Within one batch the same canonical URL twice is one article: the last copy wins.
        items_by_url = {p.article.canonical_url: p for p in batch}
        items = list(items_by_url.values())
        try:
            results = self._upsert(items, source_id, revisions)
        except StoreUnavailableError:
            raise
        except StoreError:
            if len(items) == 1:
                raise
            # One bad row fails the whole atomic batch: store one by one to find it.
            for item in items:
                try:
                    results_one = self._upsert([item], source_id, revisions)
                except StoreUnavailableError:
                    raise
                except StoreError as exc:
                    tally.fail(item.origin, exc)
                    continue
                self._stored(tally.count([item], results_one, redo_unchanged=redo_unchanged))
        else:
            metrics.ARTICLES.labels(stage="stored").inc(sum(r.outcome is not UpsertOutcome.UNCHANGED for r in results))
            self._stored(tally.count(items, results, redo_unchanged=redo_unchanged))
        if tally.article_of is not None:  # an input folded into a later one of the batch became that article
            for p in batch:
                stored = tally.article_of.get(items_by_url[p.article.canonical_url].origin)
                if stored is not None:
                    tally.article_of.setdefault(p.origin, stored)
