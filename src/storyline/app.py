"""The application object: settings, store, ingest and reading wired together.

Interfaces (web, API, CLI) talk to a :class:`Storyline` made by :func:`make_app`; they
never open the store, query it or run stages themselves.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from storyline import __version__, metrics, summarize
from storyline.cluster import ClusterScores, cluster_scores
from storyline.config import Settings
from storyline.dedupe import SyndicationGroup
from storyline.embed import Embedder, embedder_from_settings
from storyline.errors import ConfigError, InputError, RecordError, StoreUnavailableError, StorylineError
from storyline.fetch import Fetcher, FetchPolicy, HostLimiter, RobotsCache, make_user_agent
from storyline.ingest import batch, subscriptions
from storyline.ingest.batch import DedupeOutcome, Record, StoryRun
from storyline.ingest.copies import CopyStage
from storyline.ingest.hosts import SharedHostLimiter
from storyline.ingest.jobs import refresh_job
from storyline.ingest.prepare import analyze_paths as _analyze_paths
from storyline.ingest.prepare import extract_paths as _extract_paths
from storyline.ingest.refresh import Refresher, RefreshPolicy, RefreshResult, warm_up
from storyline.ingest.runner import Ingest
from storyline.ingest.scheduler import Scheduler, refresh_all
from storyline.ingest.stories import StoryStage
from storyline.ingest.subscriptions import OpmlImport
from storyline.ingest.summaries import SummaryStage
from storyline.parse.files import parse_published
from storyline.processes import worker_pool
from storyline.reading import (
    ArticleView,
    EntityView,
    StoryCard,
    StoryView,
    article_view,
    entity_view,
    story_view,
    syndication_of,
)
from storyline.reading import search as _search
from storyline.reading.ask import StoryAnswer, ask_article, ask_story
from storyline.reading.home import HomePages
from storyline.reading.llm_summaries import LLMSummaries
from storyline.reading.search import SearchGroup, SearchHit, SearchRequest, SearchResults
from storyline.store import Store, open_store
from storyline.store.queue import JobQueue, QueueCounts, QueuedJob
from storyline.summarize.ask import MAX_QUESTION, clean_question
from storyline.summarize.llm import Endpoint
from storyline.summarize.story import TermsCache
from storyline.types import (
    Article,
    ArticleRevision,
    ExtractedArticle,
    ImportReport,
    Source,
    SourceKind,
    StoredArticle,
    StoreStats,
    SummarySentence,
)

__all__ = [
    "MAX_QUESTION",
    "ArticleView",
    "DedupeOutcome",
    "EntityView",
    "MovedStory",
    "QueueCounts",
    "QueuedJob",
    "Record",
    "RefreshResult",
    "SearchGroup",
    "SearchHit",
    "SearchRequest",
    "SearchResults",
    "StoryAnswer",
    "StoryCard",
    "StoryRun",
    "StoryView",
    "Storyline",
    "analyze_paths",
    "cluster_records",
    "dedupe_records",
    "extract_paths",
    "make_app",
    "parse_published",
    "read_records",
    "score_stories",
    "summarize_records",
]

log = structlog.get_logger(__name__)

# A worker whose database went away tries again after this long.
RECONNECT_SECONDS = 2.0
# Above any story id: asking for stories after it reads only the newest id.
_NO_STORY_AFTER = 2**62


class Storyline:
    """A running Storyline: what the web app, the API and the CLI call."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        # For tests and tools; web, API and CLI use this object's methods, never the store.
        self.store = store
        self._fetcher: Fetcher | None = None
        self._refresher: Refresher | None = None
        self._cpu_pool: ProcessPoolExecutor | None = None
        self._warming: list[Future[None]] = []
        self._scheduler: Scheduler | None = None
        self._queue: JobQueue | None = None
        # Store, copies, stories: the stages after the per-item ones, in ``ingest.pipeline``'s order.
        self.ingest = Ingest(store, settings)
        # Story pages share the summaries stage's analysed articles (a page made stale by a
        # new article then tokenises only that article).
        stage = self.ingest.stage("summaries")
        self._summaries = stage.cache if isinstance(stage, SummaryStage) else TermsCache()
        self._endpoint = Endpoint.from_settings(settings)  # None: no LLM, extractive only
        self._llm_summaries = LLMSummaries(store, self._endpoint, self._summaries) if self._endpoint else None
        self._lock = threading.RLock()  # properties that build on each other take it in turn
        self._search_embedder: Embedder | None = None
        self._home = HomePages(store, page_size=settings.page_size, ttl=settings.page_cache_seconds)

    @property
    def stories(self) -> StoryStage | None:
        """The stories stage of ingest (None when the ``stories`` setting is off)."""
        stage = self.ingest.stage("stories")
        return stage if isinstance(stage, StoryStage) else None

    # -- fetching -----------------------------------------------------------------------

    @property
    def fetcher(self) -> Fetcher:
        """The HTTP client, made on first use from the settings."""
        with self._lock:
            if self._fetcher is None:
                s = self.settings
                self._fetcher = Fetcher(FetchPolicy(
                    user_agent=make_user_agent(s.contact_url, __version__),
                    total_timeout=float(s.fetch_timeout),
                    max_body_bytes=s.max_body_bytes,
                    allow_private_networks=s.allow_private_networks,
                    per_host_concurrency=s.per_host_concurrency,
                    per_host_delay_s=s.per_host_delay,
                ))
            return self._fetcher

    @property
    def refresher(self) -> Refresher:
        """The source refresher, with its worker processes for parsing and extraction."""
        fetcher = self.fetcher
        with self._lock:
            if self._refresher is None:
                s = self.settings
                run_cpu = None
                if s.parse_processes > 1:
                    # spawn: forking a process that runs threads (web server, fetchers) is unsafe.
                    self._cpu_pool = worker_pool(s.parse_processes)
                    pool = self._cpu_pool
                    # The pool starts a process per task while none is idle: one warm-up each.
                    self._warming = [pool.submit(warm_up) for _ in range(s.parse_processes)]
                    run_cpu = lambda fn, *args: pool.submit(fn, *args).result()  # noqa: E731
                # With workers on several hosts, per-host limits are kept in the store for all of them.
                limiter = (SharedHostLimiter.shared(self.store, fetcher.policy) if s.queue
                           else HostLimiter.from_policy(fetcher.policy))
                self._refresher = Refresher(
                    self.store, fetcher,
                    policy=RefreshPolicy(min_interval_s=s.min_refresh_interval,
                                         max_interval_s=s.max_refresh_interval,
                                         pause_after_failures=s.pause_after_failures,
                                         fetch_article_pages=s.fetch_article_pages),
                    robots=RobotsCache(fetcher, limiter=limiter),
                    limiter=limiter,
                    run_cpu=run_cpu,
                    ingest=self.ingest,
                )
            return self._refresher

    def start_workers(self) -> None:
        """Start the worker processes and wait until each has warmed up (imports, language model)."""
        self.refresher  # noqa: B018 -- made on first use, with its pool
        for future in self._warming:
            future.result()

    def add_source(self, url: str, *, folder: str | None = None, detect: bool = True) -> Source:
        """Subscribe to a feed, sitemap, homepage (feed autodiscovery) or article URL."""
        return subscriptions.add_source(self.store, self.fetcher if detect else None, url, folder=folder,
                                        allow_private=self.settings.allow_private_networks)

    def remove_source(self, key: str) -> Source | None:
        """Unsubscribe the source named by id, URL or title; its articles stay."""
        source = self.store.find_source(key)
        if source is not None:
            self.store.remove_source(source.id)
        return source

    def resume_source(self, key: str) -> Source | None:
        """Un-pause a source and fetch it at the next round."""
        source = self.store.find_source(key)
        if source is not None:
            self.store.update_source(source.id, paused=False, consecutive_failures=0, next_fetch_at=None,
                                     last_error=None)
        return source

    def import_opml(self, path: Path) -> OpmlImport:
        """Subscribe to the feeds of an OPML file: added, already there, and each outline not taken."""
        return subscriptions.import_opml(self.store, path, allow_private=self.settings.allow_private_networks)

    def export_opml(self) -> str:
        """The subscriptions as OPML."""
        return subscriptions.export_opml(self.store)

    def due_sources(self) -> list[Source]:
        """Sources whose next fetch is due now."""
        return self.store.due_sources(datetime.now(UTC), limit=10_000)

    def load_starter_feeds_if_empty(self) -> int:
        """Subscribe to the shipped starter feeds when there are no fetched sources yet."""
        if not self.settings.load_starter_feeds or self.store.list_sources(
            [SourceKind.FEED, SourceKind.SITEMAP, SourceKind.PAGE]
        ):
            return 0
        path = self.settings.resolved_starter_feeds
        if not path.is_file():
            log.warning("starter_feeds_missing", path=str(path))
            return 0
        return len(self.import_opml(path).added)

    def fetch(
        self, sources: Sequence[Source], *, on_done: Callable[[RefreshResult], None] | None = None
    ) -> list[RefreshResult]:
        """Refresh ``sources`` now (one pass), in parallel within the politeness limits."""
        return refresh_all(self.refresher, sources, workers=self.settings.fetch_workers, on_done=on_done)

    def start_scheduler(self) -> None:
        """Keep sources fresh and stories assigned in the background until ``close``."""
        if self.stories is not None:
            # At once, not at the first new article: articles a crash left without a story,
            # or that another process stored, get one now.
            self.stories.start()
        if self._scheduler is None:
            if self.settings.queue:  # workers fetch: this process puts due sources on the queue
                self._scheduler = Scheduler(self.store, None, workers=self.settings.fetch_workers,
                                            raw_page_retention_days=self.settings.raw_page_retention_days,
                                            enqueue=self.job_queue.enqueue)
            else:
                self._scheduler = Scheduler(self.store, self.refresher, workers=self.settings.fetch_workers,
                                            raw_page_retention_days=self.settings.raw_page_retention_days)
            self._scheduler.start()

    # -- the refresh queue (PostgreSQL, the ``queue`` setting) ---------------------------------

    @property
    def job_queue(self) -> JobQueue:
        """The refresh queue in the store's database (made on first use; needs the ``queue`` setting)."""
        with self._lock:
            if self._queue is None:
                _check_queue(self.settings, self.store.dialect)
                self._queue = JobQueue(self.settings.resolved_database_url, attempts=self.settings.queue_attempts)
            return self._queue

    def run_worker(self, *, concurrency: int | None = None, name: str | None = None) -> None:
        """``storyline worker``: do queued refreshes until stopped (SIGINT, SIGTERM).

        Each job is one refresh, through every stage (``ingest.jobs``). When the database goes
        away the worker waits and carries on once it is back; its unfinished jobs are retried.
        """
        _check_queue(self.settings, self.store.dialect)
        worker_queue = JobQueue(self.settings.resolved_database_url, attempts=self.settings.queue_attempts,
                                asynchronous=True)
        handler = refresh_job(self.store, self.refresher)
        if self.stories is not None:
            self.stories.start()  # one process of all assigns stories: this one, if the lease is free
        # Articles a killed worker stored but never matched to their copies: any worker matches them.
        copies = self.ingest.stage("copies")
        if isinstance(copies, CopyStage):
            threading.Thread(target=_keep_matching, args=(copies,), name="storyline-copies", daemon=True).start()
        while True:
            try:
                worker_queue.run_worker(handler, concurrency=concurrency or self.settings.fetch_workers,
                                        name=name or "storyline-worker")
                return
            except StoreUnavailableError as exc:
                log.warning("worker_waiting_for_database", error=str(exc))
                time.sleep(RECONNECT_SECONDS)

    def metrics_text(self) -> tuple[bytes, str]:
        """This process's metrics in Prometheus format, with the queue's depth read now; and their content type."""
        if self.settings.queue:
            try:
                counts = self.queue_counts()
            except StorylineError as exc:  # the metrics still answer, without the depth
                log.warning("queue_depth_unavailable", error=str(exc))
            else:
                for state in ("pending", "retrying", "running", "failed"):
                    metrics.QUEUE_JOBS.labels(state=state).set(getattr(counts, state))
        return metrics.exposition(), metrics.CONTENT_TYPE

    def serve_metrics(self, host: str, port: int) -> None:
        """Serve this process's metrics on ``host:port`` (a worker has no web app)."""
        metrics.serve(host, port)

    def queue_counts(self) -> QueueCounts:
        """Refresh jobs by state: pending, retrying, running, failed."""
        return self.job_queue.counts()

    def queue_jobs(self, status: str | None = None, *, limit: int = 100) -> list[tuple[QueuedJob, Source | None]]:
        """Refresh jobs (of ``status``: todo, doing, failed) with their sources, oldest first."""
        jobs = self.job_queue.jobs(status, limit=limit)
        return [(job, self.store.get_source(job.source_id)) for job in jobs]

    def failed_refreshes(self) -> list[tuple[QueuedJob, Source | None]]:
        """The dead-letter list: refresh jobs that failed every attempt (empty without a queue)."""
        if not self.settings.queue:
            return []
        return self.queue_jobs("failed")

    def retry_refreshes(self, job_ids: Sequence[int] | None = None) -> int:
        """Put failed refresh jobs (``job_ids``, or all) back on the queue; how many."""
        return self.job_queue.retry_failed(job_ids)

    # -- reading ------------------------------------------------------------------------

    def article_page(self, page: int = 1) -> tuple[list[StoredArticle], bool]:
        """One page (from 1) of articles, newest first, a group of copies once, and whether a next page exists."""
        size = self.settings.page_size
        # One extra row tells whether a next page exists without counting the table.
        rows = self.store.latest_articles(limit=size + 1, offset=(max(page, 1) - 1) * size, fold_copies=True)
        return rows[:size], len(rows) > size

    def latest_articles(self, *, limit: int, offset: int = 0) -> list[StoredArticle]:
        """Articles newest first, every copy listed (``storyline articles list``)."""
        return self.store.latest_articles(limit=limit, offset=offset)

    def copy_counts(self, article_ids: Sequence[int]) -> dict[int, int]:
        """For the group roots among ``article_ids``: how many other outlets carried each."""
        return self.store.copy_counts(article_ids)

    def new_stories(self, after: int) -> tuple[int, int]:
        """Stories made since story ``after`` (merged ones not counted), and the newest story's id."""
        return self.store.stories_after(after)

    def newest_story(self) -> int:
        """The newest story's id (0: none yet): what a page keeps to ask ``new_stories`` about later."""
        return self.store.stories_after(_NO_STORY_AFTER)[1]

    def top_stories(self, page: int = 1) -> tuple[list[StoryCard], bool]:
        """One page (from 1) of stories, best first (``storyline.reading.ranking``), and whether more follow.

        The first pages are reused until this process writes or ``page_cache_seconds`` pass (``reading.home``).
        """
        return self._home.page(page)

    def find_story(self, story_id: int) -> StoryView | MovedStory | None:
        """A story's page; where it moved if it was merged into another (addresses redirect); None: no such story."""
        current = self.store.resolve_story(story_id)
        if current is None:
            return None
        if current != story_id:
            return MovedStory(story_id, current)
        view = story_view(self.store, story_id, self._summaries)
        if view is not None and self._llm_summaries is not None:  # written in the background, shown when stored
            self._llm_summaries.request(story_id, view.summary)
        return view

    def story(self, story_id: int) -> StoryView | None:
        """One story's reports, timeline, outlets and related stories (None: no such story, or merged)."""
        found = self.find_story(story_id)
        return found if isinstance(found, StoryView) else None

    def entity(self, entity_id: int) -> EntityView | None:
        """A person's, organisation's or place's page: the stories naming it, latest first (None: no such entity)."""
        return entity_view(self.store, entity_id)

    def article(self, article_id: int) -> StoredArticle | None:
        """The article with ``article_id``, or None."""
        return self.store.get_article(article_id)

    def article_view(self, article_id: int, *, sentence: int | None = None) -> ArticleView | None:
        """An article with its story, copies, earlier versions and key points (``sentence``: a cited one to show)."""
        return article_view(self.store, article_id, sentence=sentence)

    def key_points(self, article_id: int) -> list[SummarySentence]:
        """An article's three key points (empty when it has none)."""
        return self.store.key_points(article_id)

    def article_revisions(self, article_id: int) -> list[ArticleRevision]:
        """The earlier versions of an article, oldest first."""
        return self.store.article_revisions(article_id)

    def syndication(self, article_id: int) -> SyndicationGroup | None:
        """The group of copies an article belongs to: original, agency, carrying outlets."""
        return syndication_of(self.store, article_id)

    # -- search -----------------------------------------------------------------------

    def search_request(self, q: str | None = None, **filters: str | None) -> SearchRequest:
        """Check a reader's search (``reading.search.parse_request``); InputError names a bad parameter."""
        return _search.parse_request(q, **filters)

    def search(self, request: SearchRequest) -> SearchResults:
        """One page of results, grouped by story; InputError for an entity that does not exist."""
        return _search.search(self.store, request, embedder=self._query_embedder)

    def _query_embedder(self) -> Embedder | None:
        """The stories stage's embedder for queries, made on first use, with its own in-process cache
        (queries are not worth keeping in the store's); None when stories are off (nothing is embedded)."""
        if not self.settings.stories:
            return None
        with self._lock:
            if self._search_embedder is None:
                self._search_embedder = embedder_from_settings(self.settings)
            return self._search_embedder

    # -- asking -------------------------------------------------------------------------

    def ask(self, story_id: int, question: str) -> StoryAnswer | None:
        """``question`` asked of a story (merged ones followed): cited sentences, LLM-written when ``llm_url`` is set,
        or "I don't know" (``answer.known`` false). None: no such story. Raises InputError for an empty question or
        one over ``MAX_QUESTION`` characters."""
        cleaned = clean_question(question)
        current = self.store.resolve_story(story_id)
        if current is None:
            return None
        return ask_story(self.store, current, cleaned, self._summaries, self._endpoint)

    def ask_article(self, article_id: int, question: str) -> StoryAnswer | None:
        """``question`` asked of the story of ``article_id`` (or of the article alone); None: no such article."""
        return ask_article(self.store, article_id, clean_question(question), self._summaries, self._endpoint)

    def write_llm_summary(self, story_id: int) -> bool:
        """Ask the LLM for a story's summary now and store it if it holds (tests, tools); False without ``llm_url``."""
        return self._llm_summaries.write(story_id) if self._llm_summaries is not None else False

    def wait_for_llm_summaries(self, timeout: float = 30.0) -> bool:
        """Wait until LLM summaries queued by story pages are written or given up (tests, tools)."""
        return self._llm_summaries.wait(timeout) if self._llm_summaries is not None else True

    @property
    def dialect(self) -> str:
        """The store's database: ``"sqlite"`` or ``"postgresql"``."""
        return self.store.dialect

    def count_articles(self) -> int:
        """How many articles are stored."""
        return self.store.count_articles()

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

    def find_source(self, key: str) -> Source | None:
        """The source whose id, URL or title is ``key``, or None."""
        return self.store.find_source(key)

    # -- writing ------------------------------------------------------------------------

    def import_paths(
        self,
        paths: Sequence[Path],
        *,
        on_file: Callable[[Path], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import files and folders through every stage; their copies and stories are ready on return."""
        return self.ingest.import_paths(paths, on_file=on_file, on_total=on_total)

    def wait_for_stories(self) -> None:
        """Wait until every stored article has been through the stored stages (stories run in the background)."""
        self.ingest.drain()

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
                             hint="Set sample_dir to the folder holding Storyline's sample "
                                  "(storyline/data/sample in the package).")
        # Only the data files: the folder also holds the sample's licence and source notes.
        return self.ingest.import_paths(sorted(sample_dir.glob("*.jsonl")), source_kind=SourceKind.SAMPLE,
                                        on_file=on_file, on_total=on_total)

    def remove_sample(self) -> int:
        """Delete the sample's articles; returns how many were deleted."""
        removed = self.store.delete_sample_articles()
        log.info("sample_removed", articles=removed)
        return removed

    def reprocess(self, *, on_page: Callable[[str], None] | None = None) -> ImportReport:
        """Extract every kept page again and update its article."""
        return self.ingest.reprocess(on_page=on_page)

    def close(self) -> None:
        """Stop background work, then release the HTTP client, worker processes and the store."""
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._llm_summaries is not None:
            self._llm_summaries.close()
        self.ingest.close()
        if self._fetcher is not None:
            self._fetcher.close()
        if self._cpu_pool is not None:
            self._cpu_pool.shutdown(cancel_futures=True)
        if self._queue is not None:
            self._queue.close()
        self.store.close()


@dataclass(frozen=True, slots=True)
class MovedStory:
    """A story merged into another: its address now redirects to ``story_id``."""

    old_id: int
    story_id: int


def extract_paths(
    paths: Sequence[Path], *, captured_at: datetime | None = None
) -> Iterable[ExtractedArticle | StorylineError]:
    """Extract articles from files without storing them (``storyline extract``)."""
    return _extract_paths(paths, captured_at=captured_at)


def cluster_records(settings: Settings, records: Sequence[Record], *, window_days: float | None = None) -> StoryRun:
    """``storyline cluster``: records into stories with ingest's stages and ``settings``, in a scratch store."""
    return batch.cluster_records(records, settings, window_days=window_days)


def summarize_records(
    stories: Mapping[str, Sequence[Record]], *, max_words: int | None = None
) -> Iterator[tuple[str, tuple[SummarySentence, ...]] | StorylineError]:
    """``storyline summarize``: each story's cited summary, from records grouped by story (``ingest.batch``)."""
    return batch.summarize_records(stories, max_words=max_words)


def score_stories(gold: Sequence[str], predicted: Sequence[int]) -> ClusterScores:
    """B-cubed and pairwise precision, recall and F1 of predicted stories against gold ones."""
    return cluster_scores(gold, predicted)


def read_records(path: Path) -> Iterator[tuple[str, Mapping[str, Any] | RecordError]]:
    """The JSON objects of a JSONL file with their ``file:line`` (a bad line comes as its error)."""
    return batch.read_records(path)


def dedupe_records(
    records: Iterable[tuple[str, Mapping[str, Any]]], *, batch_size: int = 1_000
) -> Iterator[DedupeOutcome | RecordError]:
    """``storyline dedupe``: exact, then near copies, then each group's original (``ingest.batch``)."""
    return batch.dedupe_records(records, batch_size=batch_size)


def _keep_matching(copies: CopyStage) -> None:
    while True:
        time.sleep(RECONNECT_SECONDS * 2)
        try:
            copies.catch_up()
        except StorylineError as exc:  # the store is away: the next round tries again
            log.warning("copies_catch_up_failed", error=str(exc))
        except Exception:  # a bug: logged, and the next round tries again
            log.exception("copies_catch_up_failed")


def _check_queue(settings: Settings, dialect: str) -> None:
    if not settings.queue:
        raise ConfigError("queue", "the refresh queue is off",
                          hint="Set queue = true (PostgreSQL only) to use workers.")
    if dialect != "postgresql":
        raise ConfigError("queue", "the refresh queue needs PostgreSQL; this store is SQLite",
                          hint="Set database_url to a PostgreSQL database, or queue = false to fetch in serve.")


def make_app(settings: Settings) -> Storyline:
    """Open the store named by ``settings`` (creating the data folder) and wire the app."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(str(settings.home), f"cannot create the data folder ({exc.strerror})",
                          hint="Set --home or STORYLINE_HOME to a writable folder.") from exc
    store = open_store(settings.resolved_database_url, sqlite_readers=settings.sqlite_readers)
    if settings.queue and store.dialect != "postgresql":
        store.close()
        _check_queue(settings, "sqlite")
    return Storyline(settings, store)


def analyze_paths(paths: Sequence[Path]
                  ) -> Iterator[tuple[str, str | None, Article, tuple[SummarySentence, ...]] | StorylineError]:
    """Run the per-article stages (extraction, entities, quotes, key points) on files, storing nothing.

    Each article as (the input it came from, the record's own id if it had one, the article,
    its summary as a story of one report, citing it by that id or input) for ``storyline
    analyze``; an aggregator page's related articles come as articles of their own.
    """
    vocabulary = summarize.Vocabulary()
    for result in _analyze_paths(paths):
        if isinstance(result, StorylineError):
            yield result
            continue
        name = result.guid if result.guid is not None else result.origin
        terms = summarize.analyse(result.article.text[:summarize.KEY_POINT_CHARS], vocabulary)
        summary = summarize.summarize_reports([summarize.Report(name, result.article.published, terms)])
        points = tuple(summarize.cited(p, name) for p in result.article.key_points)
        yield result.origin, result.guid, dataclasses.replace(result.article, key_points=points), summary
