"""The application object: settings, store and pipeline wired together.

Interfaces (web, API, CLI) talk to a :class:`Storyline` made by :func:`make_app`; they
never open the store or run stages themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

import structlog

from storyline import pipeline
from storyline.config import Settings
from storyline.errors import ConfigError, InputError, StorylineError
from storyline.store import Store, open_store
from storyline.types import ExtractedArticle, ImportReport, Source, SourceKind, StoredArticle, StoreStats

__all__ = ["Storyline", "extract_paths", "make_app"]

log = structlog.get_logger(__name__)


class Storyline:
    """A running Storyline: what the web app, the API and the CLI call."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    # -- reading ------------------------------------------------------------------------

    def article_page(self, page: int = 1) -> tuple[list[StoredArticle], bool]:
        """One page (from 1) of articles, newest first, and whether a next page exists."""
        size = self.settings.page_size
        # One extra row tells whether a next page exists without counting the table.
        rows = self.store.latest_articles(limit=size + 1, offset=(max(page, 1) - 1) * size)
        return rows[:size], len(rows) > size

    def article(self, article_id: int) -> StoredArticle | None:
        """The article with ``article_id``, or None."""
        return self.store.get_article(article_id)

    def check_store(self) -> str:
        """Query the store once (raises StoreError if it does not answer); its dialect."""
        self.store.count_articles()
        return self.store.dialect

    def stats(self) -> StoreStats:
        """Counts over the store."""
        return self.store.stats()

    def sources(self) -> list[Source]:
        """Every source."""
        return self.store.list_sources()

    # -- writing ------------------------------------------------------------------------

    def import_paths(
        self,
        paths: Sequence[Path],
        *,
        on_file: Callable[[Path], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import files and folders; see :func:`storyline.pipeline.import_paths`."""
        return pipeline.import_paths(paths, self.store, on_file=on_file, on_total=on_total)

    def load_sample(
        self,
        *,
        on_file: Callable[[Path], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import the bundled sample news (idempotent: loading twice stores it once)."""
        sample_dir = self.settings.resolved_sample_dir
        if not sample_dir.is_dir():
            raise InputError(str(sample_dir), "the bundled sample is missing",
                             hint="Set sample_dir to the folder holding Storyline's data/sample.")
        # Only the data files: the folder also holds the sample's licence and source notes.
        return pipeline.import_paths(
            sorted(sample_dir.glob("*.jsonl")), self.store, source_kind=SourceKind.SAMPLE, on_file=on_file,
            on_total=on_total,
        )

    def remove_sample(self) -> int:
        """Delete the sample's articles; returns how many were deleted."""
        removed = self.store.delete_sample_articles()
        log.info("sample_removed", articles=removed)
        return removed

    def load_sample_if_empty(self) -> ImportReport | None:
        """Load the sample when the store is empty and the ``load_sample`` setting is on."""
        if not self.settings.load_sample or self.store.count_articles() > 0:
            return None
        report = self.load_sample()
        log.info("sample_loaded", articles=report.inserted, failed=len(report.failures))
        return report

    def reprocess(self, *, on_page: Callable[[str], None] | None = None) -> ImportReport:
        """Extract every kept page again and update its article."""
        return pipeline.reprocess(self.store, on_page=on_page)

    def close(self) -> None:
        """Release the store."""
        self.store.close()


def extract_paths(
    paths: Sequence[Path], *, captured_at: datetime | None = None
) -> Iterable[ExtractedArticle | StorylineError]:
    """Extract articles from files without storing them (``storyline extract``)."""
    return pipeline.extract_paths(paths, captured_at=captured_at)


def make_app(settings: Settings) -> Storyline:
    """Open the store named by ``settings`` (creating the data folder) and wire the app."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(str(settings.home), f"cannot create the data folder ({exc.strerror})",
                          hint="Set --home or STORYLINE_HOME to a writable folder.") from exc
    store = open_store(settings.resolved_database_url, sqlite_readers=settings.sqlite_readers)
    return Storyline(settings, store)
