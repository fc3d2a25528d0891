"""Refreshing sources: fetch, parse, fetch summary-only pages, ingest, keep health.

One refresh of one source, in order:

1. fetch with the stored validators (conditional GET): a 304 costs no parse;
2. a 410 retires the source (paused, with the reason); a 301/308 chain moves its URL;
3. parse the document as a feed or sitemap; an HTML page instead is searched for feed
   links (autodiscovery), and the source moves to the first feed found;
4. items that carry only a summary get their article page fetched (robots.txt allowing),
   so extraction has the full text; when that fails the summary is kept, never the item lost;
5. the items go through the pipeline's stages and into the store; a feed item's GUID is
   remembered, so an item whose link or title is edited later updates the same article;
6. health and schedule are written back: status, latency, plain-words error, consecutive
   failures (pausing the source after ``pause_after_failures``), items per day, and the
   next fetch time (``schedule``).

A failed or hostile fetch changes nothing already stored: only the source's health row.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from storyline import metrics, parse
from storyline.errors import FeedParseError, FetchError, HTTPStatusError, InputError, StorylineError
from storyline.fetch import Fetcher, HostLimiter, RobotsCache, host_of
from storyline.ingest.items import Prepared
from storyline.ingest.prepare import prepare_many
from storyline.ingest.runner import Ingest
from storyline.normalize import canonical_url
from storyline.parse.decode import decode_text
from storyline.store import ArticleStore, SourceStore
from storyline.types import FetchResult, ImportReport, ParsedFeed, RawItem, Source, SourceKind


class RefreshStore(ArticleStore, SourceStore, Protocol):
    """What a refresh reads and writes besides ingest: sources, their health, articles met again."""

log = structlog.get_logger(__name__)

# A summary shorter than this is a teaser: the article page is fetched for the full text.
SUMMARY_ONLY_WORDS = 150
# How far back publication times count when estimating how often a source publishes.
RATE_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class RefreshPolicy:
    """Scheduling and failure limits (from the settings of the same names)."""

    min_interval_s: int = 300
    max_interval_s: int = 86400
    pause_after_failures: int = 10
    fetch_article_pages: bool = True
    jitter: float = 0.1


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What one refresh of one source did."""

    source_id: int
    url: str
    status: int | None
    report: ImportReport
    not_modified: bool = False
    error: str | None = None
    items: int = 0
    elapsed_ms: int = 0


def schedule(items_per_day: float | None, policy: RefreshPolicy, rng: random.Random | None = None) -> int:
    """Seconds until the next fetch: about two fetches per new item, bounded, with jitter.

    A source that publishes 48 items a day is fetched every 15 minutes; one that publishes
    weekly, once a day (``max_interval_s``); one never seen publishing, hourly until it does.
    """
    if items_per_day is None:
        base = 3600.0
    elif items_per_day <= 0:
        base = float(policy.max_interval_s)
    else:
        base = 86400.0 / items_per_day / 2
    base = min(max(base, policy.min_interval_s), policy.max_interval_s)
    spread = (rng or random).uniform(-policy.jitter, policy.jitter)
    return int(min(max(base * (1 + spread), policy.min_interval_s), policy.max_interval_s))


def failure_backoff(failures: int, retry_after: float | None, policy: RefreshPolicy) -> int:
    """Seconds until retrying after ``failures`` consecutive failures (Retry-After wins when longer)."""
    backoff = min(policy.min_interval_s * 2 ** max(failures - 1, 0), policy.max_interval_s)
    if retry_after is not None:
        backoff = max(backoff, min(int(retry_after), policy.max_interval_s))
    return int(backoff)


def items_per_day(items: Sequence[RawItem], now: datetime) -> float | None:
    """New items per day over the last week, from the items' dates (None when undated)."""
    return publishing_rate([i.published for i in items], now)


def publishing_rate(published: Sequence[datetime | None], now: datetime) -> float | None:
    """Items per day over the last week, from publication dates (None when all are undated)."""
    dates = [d for d in published if d is not None]
    if not dates:
        return None
    recent = [d for d in dates if now - d <= RATE_WINDOW]
    return round(len(recent) / RATE_WINDOW.days, 2)


# A sitemap index can list hundreds of sitemaps: a refresh reads this many of them.
MAX_CHILD_SITEMAPS = 10
# Health of unchanged sources written per transaction (``Refresher.refresh(batch_health=True)``).
HEALTH_BATCH = 64


def parse_document(content: bytes, url: str, content_type: str | None, kind: SourceKind) -> ParsedFeed:
    """A fetched document as a feed or sitemap."""
    if kind is SourceKind.SITEMAP:
        return parse.parse_sitemap(content, url=url)
    return parse.parse_feed(content, url=url, content_type=content_type)


@dataclass(frozen=True, slots=True)
class ReadFeed:
    """A fetched document, parsed and its items prepared, in one trip to a worker process.

    ``feed`` holds the document's own metadata (its items are not sent back: ``entries``
    stands for them); ``published`` the items' dates, for the publishing rate; ``entries``
    each item through the stages, or, for a teaser whose article page is still to fetch,
    the item itself.
    """

    feed: ParsedFeed
    published: tuple[datetime | None, ...]
    entries: tuple[Prepared | RawItem, ...]


def needs_page(item: RawItem, fetch_article_pages: bool) -> bool:
    """Whether the feed gave only a teaser (or nothing) and the article page should be fetched."""
    if item.html or item.text or not item.url or not fetch_article_pages:
        return False
    return not (item.summary and len(item.summary.split()) >= SUMMARY_ONLY_WORDS)


def as_content(item: RawItem) -> RawItem:
    """The item as the stages take it when the feed's content is all there is: its HTML is a fragment."""
    if item.html:
        return dataclasses.replace(item, html_is_fragment=True)
    if item.text or not item.summary:
        return item
    return dataclasses.replace(item, html=item.summary, html_is_fragment=True)


def read_document(
    content: bytes, url: str, content_type: str | None, kind: SourceKind, fetch_article_pages: bool
) -> ReadFeed:
    """Parse a fetched document and prepare the items that carry their content (runs in a worker).

    One round trip: sending the parsed items back to the main process and out again to be
    prepared pickled every item twice. A document too broken to yield a single item is an
    error (FeedParseError, which crosses the process boundary intact), not an empty feed.
    """
    parsed = parse_document(content, url, content_type, kind)
    broken = next((p for p in parsed.problems if p.startswith("not well-formed")), None)
    if broken is not None and not parsed.items:
        raise FeedParseError(url, f"the document is broken and holds no items ({broken})")
    waiting = [needs_page(item, fetch_article_pages) for item in parsed.items]
    prepared = iter(prepare_many(
        [as_content(item) for item, wait in zip(parsed.items, waiting, strict=True) if not wait]))
    return ReadFeed(
        feed=dataclasses.replace(parsed, items=()),
        published=tuple(item.published for item in parsed.items),
        entries=tuple(item if wait else next(prepared) for item, wait in zip(parsed.items, waiting, strict=True)),
    )


# A feed item like any other, for ``warm_up``: English, so the language model is loaded too.
_WARM_UP_ITEM = RawItem(
    origin="warm-up", url="https://example.org/warm-up", title="Warm-up", html_is_fragment=True,
    html="<p>The council met on Monday to discuss the budget for the coming year in the town hall.</p>",
)


def warm_up() -> None:
    """Prepare one item in this (worker) process, so the first real feed does not pay the start-up.

    A worker process starts cold: importing the stages and loading the language model take
    about a second of CPU, which would otherwise land on the first refresh it serves.
    """
    prepare_many([_WARM_UP_ITEM])
    parse_document(b"<rss version='2.0'><channel><item><title>t</title></item></channel></rss>",
                   "https://example.org/feed", None, SourceKind.FEED)


class Refresher:
    """Refreshes sources; safe to call from several threads at once."""

    def __init__(
        self,
        store: RefreshStore,
        fetcher: Fetcher,
        *,
        policy: RefreshPolicy | None = None,
        robots: RobotsCache | None = None,
        limiter: HostLimiter | None = None,
        run_cpu: Callable[..., object] | None = None,
        ingest: Ingest | None = None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.policy = policy or RefreshPolicy()
        self.robots = robots
        self.limiter = limiter
        # Where CPU-bound work runs: a process pool's submit().result() in production,
        # a direct call in tests.
        self._run_cpu = run_cpu or (lambda fn, *args: fn(*args))
        # Where read items go: the stages after the per-item ones (store, copies, stories).
        self.ingest = ingest or Ingest(store, stored_stages=())
        self._pending_health: dict[int, dict[str, object]] = {}
        self._pending_lock = threading.Lock()

    def refresh(self, source: Source, *, now: datetime | None = None, batch_health: bool = False) -> RefreshResult:
        """Fetch and ingest one source; never raises for the source's own problems.

        With ``batch_health`` the health of a source that was read (unchanged or not) is
        written with others' in one transaction, at the latest by ``flush_health``, which the
        caller must then call; failures are written at once.
        """
        now = now or datetime.now(UTC)
        try:
            result = self._refresh(source, now, batch_health)
        except (FetchError, FeedParseError, InputError) as exc:
            metrics.FETCHES.labels(outcome="failed").inc()
            metrics.FETCH_ERRORS.inc()
            return self._record_failure(source, now, exc)
        metrics.FETCHES.labels(outcome="not modified" if result.not_modified else "read").inc()
        return result

    def flush_health(self) -> None:
        """Write the health held back by ``refresh(batch_health=True)``."""
        with self._pending_lock:
            pending, self._pending_health = self._pending_health, {}
        self.store.update_sources(pending)

    def _hold_health(self, source_id: int, values: dict[str, object]) -> None:
        # Most refreshes of a large subscription list are 304s; one commit each made SQLite's
        # single write lock the bottleneck of a conditional pass (about half its time).
        with self._pending_lock:
            self._pending_health[source_id] = values
            full = len(self._pending_health) >= HEALTH_BATCH
        if full:
            self.flush_health()

    def _fetch(self, url: str, **validators: str | None) -> object:
        if self.limiter is None:
            return self.fetcher.fetch(url, **validators)
        with self.limiter.slot(host_of(url)):
            return self.fetcher.fetch(url, **validators)

    def _refresh(self, source: Source, now: datetime, batch_health: bool = False) -> RefreshResult:
        result = self._fetch(source.url, etag=source.etag, last_modified=source.last_modified)
        health: dict[str, object] = {"last_fetched_at": now, "last_status": result.status,
                                     "latency_ms": result.elapsed_ms}
        if result.gone:
            message = "the publisher removed this feed (410 Gone); Storyline stopped fetching it"
            self.store.update_source(source.id, paused=True, last_error=message, next_fetch_at=None, **health)
            log.info("source_retired", source=source.url)
            return RefreshResult(source.id, source.url, result.status, ImportReport(), error=message)
        url = source.url
        if result.permanent_url and result.permanent_url != source.url:
            url = self._move(source, result.permanent_url)
        if result.not_modified:
            interval = schedule(source.health.items_per_day, self.policy)
            values = {"last_error": None, "consecutive_failures": 0, "next_fetch_at": now + timedelta(seconds=interval),
                      "interval_s": interval, **health}
            if batch_health:
                self._hold_health(source.id, values)
            else:
                self.store.update_source(source.id, **values)
            return RefreshResult(source.id, url, result.status, ImportReport(), not_modified=True,
                                 elapsed_ms=result.elapsed_ms)
        if source.kind is SourceKind.PAGE:
            # The page is the article, a whole page: not a feed's content fragment, nothing to follow.
            read = self._page_as_feed(result)
        else:
            read, fetched = self._parse(source, result)
            if fetched is not result:  # found by autodiscovery: the source moves to the feed
                url = self._move(source, fetched.final_url)
                # The validators belong to what was parsed, not to the homepage met first.
                result = dataclasses.replace(result, etag=fetched.etag, last_modified=fetched.last_modified)
        entries = self._with_pages(source, read.entries)
        report = self.ingest.store_feed_items(entries, source_id=source.id)
        rate = publishing_rate(read.published, now)
        interval = schedule(rate, self.policy)
        parsed = read.feed
        values = {"etag": result.etag, "last_modified": result.last_modified, "last_error": None,
                  "consecutive_failures": 0, "items_per_day": rate, "next_fetch_at": now + timedelta(seconds=interval),
                  "interval_s": interval,
                  "title": source.title if source.title != source.url else (parsed.title or source.title),
                  "site_url": source.site_url or parsed.site_url, **health}
        if batch_health:
            # Written with other sources' (a lost batch only means fetching those feeds again:
            # storing their items is idempotent).
            self._hold_health(source.id, values)
        else:
            self.store.update_source(source.id, **values)
        log.info("source_fetched", source=url, items=len(entries), new=report.inserted, ms=result.elapsed_ms)
        return RefreshResult(source.id, url, result.status, report, items=len(entries), elapsed_ms=result.elapsed_ms)

    def _page_as_feed(self, result: FetchResult) -> ReadFeed:
        """A single-article source: its page is its one item."""
        html = decode_text(result.content, result.final_url, html=True)
        item = RawItem(origin=result.final_url, html=html, url=result.final_url, captured_at=datetime.now(UTC))
        feed = ParsedFeed(url=result.final_url, kind=SourceKind.PAGE, title=None, site_url=None, items=(),
                          format="html")
        return ReadFeed(feed, (None,), tuple(self._run_cpu(prepare_many, [item])))

    def _sitemap_index(self, result: FetchResult) -> ReadFeed:
        """The pages of the first ``MAX_CHILD_SITEMAPS`` sitemaps an index lists, as one feed."""
        read: list[ReadFeed] = []
        problems: list[str] = []
        for child in parse.parse_sitemap_index(result.content, url=result.final_url)[:MAX_CHILD_SITEMAPS]:
            try:
                found = self._fetch(child)
                if not found.not_modified and not found.gone:
                    read.append(self._read(found, SourceKind.SITEMAP))
            except (FetchError, FeedParseError) as exc:
                problems.append(f"{child}: {exc.message}")
        if not any(r.entries for r in read) and problems:
            raise FeedParseError(result.final_url, f"no sitemap of this index could be read ({problems[0]})")
        feed = ParsedFeed(url=result.final_url, kind=SourceKind.SITEMAP, title=None, site_url=None, items=(),
                          format="sitemap-index", problems=tuple(problems))
        return ReadFeed(feed, tuple(d for r in read for d in r.published), tuple(e for r in read for e in r.entries))

    def _parse(self, source: Source, result: FetchResult) -> tuple[ReadFeed, FetchResult]:
        """The fetched document read as a feed or sitemap, and the fetch it came from (another, after autodiscovery)."""
        if source.kind is SourceKind.SITEMAP and parse.is_sitemap_index(result.content):
            return self._sitemap_index(result), result
        try:
            return self._read(result, source.kind), result
        except FeedParseError:
            if source.kind is not SourceKind.FEED:
                raise
            # A homepage instead of a feed: follow its autodiscovery link, once.
            html = decode_text(result.content, result.final_url, html=True)
            for link in parse.discover_feed_links(html, result.final_url):
                found = self._fetch(link)
                if found.not_modified or found.gone:
                    continue
                try:
                    return self._read(found, source.kind), found
                except FeedParseError:
                    continue
            raise

    def _read(self, fetched: FetchResult, kind: SourceKind) -> ReadFeed:
        """``read_document`` on the CPU runner (a worker process, when there is a pool)."""
        return self._run_cpu(read_document, fetched.content, fetched.final_url, fetched.content_type, kind,
                             self.policy.fetch_article_pages)

    def _move(self, source: Source, new_url: str) -> str:
        """Point the source at its new address (unless another source has it already)."""
        if self.store.find_source(new_url) is None:
            self.store.update_source(source.id, url=new_url)
            log.info("source_moved", source=source.url, to=new_url)
            return new_url
        return source.url

    def _stored_already(self, source: Source, teasers: Sequence[RawItem]) -> set[int]:
        """Positions of teaser items whose article is stored and not updated since: no page fetch.

        A feed that changes (one new item) lists its older items again; fetching each of their
        pages at every refresh would hammer the site for nothing. An item the feed marks as
        updated after we stored it is fetched again.
        """
        known = self.store.item_articles(source.id, [item.guid for item in teasers if item.guid])
        skipped = set()
        for i, item in enumerate(teasers):
            if item.guid in known:
                stored = self.store.get_article(known[item.guid])
            else:
                try:
                    stored = self.store.get_article_by_url(canonical_url(item.url or ""))
                except ValueError:  # a link no URL parser accepts: it is refused later, by ingest
                    continue
            if stored is not None and not (item.updated and item.updated > stored.updated_at):
                skipped.add(i)
        return skipped

    def _with_pages(
        self, source: Source, entries: Sequence[Prepared | RawItem]
    ) -> list[Prepared]:
        """The prepared entries, teasers prepared with their article page (fetched a few at a time).

        A teaser whose article is stored already is left out (see ``_stored_already``).
        """
        waiting = [(i, entry) for i, entry in enumerate(entries) if isinstance(entry, RawItem)]
        prepared: dict[int, Prepared] = {}
        if waiting:
            skipped = self._stored_already(source, [item for _, item in waiting])
            wanted = [(i, item) for k, (i, item) in enumerate(waiting) if k not in skipped]
            if len(wanted) <= 1:
                pages = [self._with_page(item) for _, item in wanted]
            else:
                # As many at once as one host allows: pages usually live on the feed's host, and the
                # host limiter still spaces them.
                with ThreadPoolExecutor(min(len(wanted), self.fetcher.policy.per_host_concurrency)) as pool:
                    pages = list(pool.map(self._with_page, [item for _, item in wanted]))
            if pages:
                prepared = dict(zip((i for i, _ in wanted), self._run_cpu(prepare_many, pages), strict=True))
        return [prepared[i] if isinstance(entry, RawItem) else entry
                for i, entry in enumerate(entries) if not isinstance(entry, RawItem) or i in prepared]

    def _with_page(self, item: RawItem) -> RawItem:
        """A teaser item with its article page's HTML (or, when that cannot be had, its summary)."""
        try:
            if self.robots is not None and not self.robots.allowed(item.url):
                raise FetchError(item.url, "robots.txt asks crawlers not to fetch this page")
            page = self._fetch(item.url)
            if page.not_modified or page.gone or not page.content:
                raise FetchError(item.url, f"no page content (HTTP {page.status})")
            html = decode_text(page.content, item.url, html=True)
            return dataclasses.replace(item, html=html, captured_at=datetime.now(UTC))
        except (FetchError, InputError) as exc:
            log.info("article_page_skipped", url=item.url, reason=str(exc))
            # The summary is what we have: keep the item with it rather than lose it.
            return as_content(item)

    def _record_failure(self, source: Source, now: datetime, error: StorylineError) -> RefreshResult:
        failures = source.health.consecutive_failures + 1
        retry_after = getattr(error, "retry_after", None)
        status = error.status if isinstance(error, HTTPStatusError) else None
        paused = failures >= self.policy.pause_after_failures
        interval = failure_backoff(failures, retry_after, self.policy)
        # The source is named by its row already: the message says what happened and what to do.
        message = f"{error.message}. {error.hint}" if error.hint else error.message
        if paused:
            message += f" — paused after {failures} failed fetches in a row; resume with `storyline sources resume`"
        self.store.update_source(
            source.id, last_fetched_at=now, last_status=status, last_error=message,
            consecutive_failures=failures, paused=paused,
            next_fetch_at=None if paused else now + timedelta(seconds=interval), interval_s=interval,
        )
        log.info("source_failed", source=source.url, error=message, failures=failures)
        return RefreshResult(source.id, source.url, status, ImportReport(), error=message)

