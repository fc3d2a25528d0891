"""The Store protocol: what every store backend guarantees.

Guarantees, for every implementation:

- **Times are UTC.** Every datetime going in must be timezone-aware (a naive one raises
  ``ValueError``); every datetime coming out is aware and in UTC.
- **Upsert is idempotent by canonical URL.** Upserting the same :class:`Article` twice
  stores one row; the second call reports ``UNCHANGED``. An article whose canonical URL
  is stored with a different title, text or metadata is updated in place (its id and
  ``created_at`` stay) and reported ``UPDATED``.
- **Batches are atomic.** ``upsert_articles`` stores all of its batch or none of it.
- **Reads never see half a write**: each read runs in one snapshot.
- **Thread safety.** One store object may be used from many threads; writes are
  serialised (on SQLite through one writer connection), reads run in parallel.
- **Errors.** A database that cannot be reached raises
  :class:`~storyline.errors.StoreUnavailableError`; a schema newer than this code raises
  :class:`~storyline.errors.SchemaError`; any other database failure raises
  :class:`~storyline.errors.StoreError`. Library errors never escape.
- **Nothing is deleted implicitly.** Only the ``delete_*`` methods delete.

The protocol is split by entity (articles, pages, sources, copies, stories, embeddings,
checkpoints, entities and quotes): each consumer asks for the part it uses, and ``Store`` is all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from storyline.types import (
    Article,
    ArticleRevision,
    DuplicateLink,
    EntityLink,
    EntityType,
    Lease,
    Quote,
    RawPage,
    SearchFilters,
    SearchMatch,
    SearchTerms,
    Source,
    SourceKind,
    StoredArticle,
    StoredEntity,
    StoredQuote,
    StoreStats,
    StoryLink,
    StoryStats,
    StorySummary,
    SummarySentence,
    UpsertResult,
)


class ArticleStore(Protocol):
    """Articles: stored once per canonical URL, with their earlier versions."""

    def upsert_articles(
        self, articles: Sequence[Article], *, source_id: int | None = None, revisions: bool = True,
        guids: Sequence[str | None] | None = None,
    ) -> list[UpsertResult]:
        """Insert or update ``articles`` by canonical URL, atomically; one result each, in order.

        An update that changes the title or the words keeps the replaced version as a revision
        (unless ``revisions`` is False: re-extraction refines an article, nobody edited it).
        ``guids`` (one per article, None where it has none) are the feed items the articles
        came from: which article each became is recorded in the same transaction (with
        ``source_id``; the first sighting of a GUID wins), for ``item_articles``.
        """
        ...

    def article_revisions(self, article_id: int) -> list[ArticleRevision]:
        """The earlier versions of an article, oldest first (empty when it was never edited)."""
        ...

    def get_article(self, article_id: int) -> StoredArticle | None:
        """The article with ``article_id``, or None."""
        ...

    def get_article_by_url(self, canonical_url: str) -> StoredArticle | None:
        """The article stored under ``canonical_url``, or None."""
        ...

    def get_articles(self, article_ids: Sequence[int]) -> list[StoredArticle]:
        """The articles of ``article_ids`` that exist, by id."""
        ...

    def latest_articles(self, *, limit: int, offset: int = 0, fold_copies: bool = False) -> list[StoredArticle]:
        """Articles newest first (publication time, else arrival time; then id).

        With ``fold_copies``, a group of copies is listed once, by its first article.
        """
        ...

    def articles_after(self, after_id: int, *, limit: int = 500) -> list[StoredArticle]:
        """Articles with an id above ``after_id``, by id."""
        ...

    def count_articles(self) -> int:
        """How many articles are stored."""
        ...

    def stats(self) -> StoreStats:
        """Counts over the whole store."""
        ...

    def delete_sample_articles(self) -> int:
        """Delete the bundled sample's articles (and its source); returns how many articles."""
        ...

class PageStore(Protocol):
    """The pages articles were extracted from, kept for ``storyline reprocess``."""

    def save_raw_pages(self, pages: Sequence[RawPage]) -> None:
        """Keep (compressed) the HTML each article was extracted from; the latest replaces older."""
        ...

    def prune_raw_pages(self, fetched_before: datetime) -> int:
        """Forget kept pages fetched before ``fetched_before`` (their articles stay); how many."""
        ...

    def raw_pages(self, *, after_article_id: int = 0, limit: int = 100) -> list[RawPage]:
        """Kept pages in article-id order, after ``after_article_id`` (for paging through all)."""
        ...

class SourceStore(Protocol):
    """Subscriptions, their health and schedule, and which article each feed item became."""

    def ensure_source(
        self, kind: SourceKind, url: str, title: str, *, folder: str | None = None, site_url: str | None = None
    ) -> Source:
        """The source with ``url``, created when missing (an existing one is returned unchanged)."""
        ...

    def get_source(self, source_id: int) -> Source | None:
        """The source with ``source_id``, or None."""
        ...

    def find_source(self, key: str) -> Source | None:
        """The source whose id (as text), URL or title is ``key``, or None."""
        ...

    def list_sources(self, kinds: Sequence[SourceKind] | None = None) -> list[Source]:
        """Sources (of ``kinds``, or all), oldest first."""
        ...

    def remove_source(self, source_id: int) -> bool:
        """Unsubscribe; its articles stay (without a source). False when there was none."""
        ...

    def due_sources(self, now: datetime, *, limit: int = 100) -> list[Source]:
        """Fetched sources (feeds, sitemaps, pages) not paused whose next fetch is due, most overdue first."""
        ...

    def update_source(self, source_id: int, **values: Any) -> None:
        """Set columns of one source: validators, health, schedule, url, title, paused."""
        ...

    def update_sources(self, updates: Mapping[int, Mapping[str, Any]]) -> None:
        """``update_source`` for many sources (source id -> columns), in one transaction."""
        ...

    def item_articles(self, source_id: int, guids: Sequence[str]) -> dict[str, int]:
        """For feed item GUIDs already seen from this source: guid -> article id."""
        ...

class CopyStore(Protocol):
    """Groups of copies (wire copy, mirrors, teasers) and the articles the copies stage reads."""

    def save_duplicates(self, links: Sequence[DuplicateLink]) -> None:
        """Record articles' places in groups of copies (a later link for an article replaces it)."""
        ...

    def group_members(self, article_id: int) -> list[StoredArticle]:
        """Every article in ``article_id``'s group of copies, oldest first; [] when it is in none."""
        ...

    def dedupe_recent(self, limit: int) -> list[StoredArticle]:
        """The ``limit`` most recent articles, oldest first (to rebuild the duplicate index)."""
        ...

    def copy_counts(self, article_ids: Sequence[int]) -> dict[int, int]:
        """For the group roots among ``article_ids``: how many other copies each group has."""
        ...

    def copied_from(self, article_ids: Sequence[int]) -> dict[int, int]:
        """For each of ``article_ids`` that is a copy: the article it copies."""
        ...

class StoryStore(Protocol):
    """Stories: which story each article is in, merges (ids that redirect) and related stories."""

    def save_story_links(
        self,
        links: Sequence[StoryLink],
        *,
        merges: Sequence[tuple[int, int]] = (),
        related: Mapping[int, Sequence[tuple[int, float]]] | None = None,
        writer: tuple[str, float, int] | None = None,
    ) -> None:
        """Record, atomically, articles' stories, merges (old id, id it joined) and related stories.

        A merged story's articles move to the story it joined; its id keeps redirecting there.
        ``related`` replaces the related stories of each story it names. With ``writer``
        (holder, lease seconds, progress) the write happens only while that holder has the
        ``stories`` lease, which it renews (``LeaseLostError`` otherwise, nothing written).
        """
        ...

    def stories_of(self, article_ids: Sequence[int]) -> dict[int, int]:
        """The story of each of ``article_ids`` that has one."""
        ...

    def resolve_story(self, story_id: int) -> int | None:
        """The story ``story_id`` is now (following merges); None when there is no such story."""
        ...

    def stories_after(self, after: int) -> tuple[int, int]:
        """How many stories (not merged away) have an id above ``after``, and the newest story's id (0: none).

        Story ids only grow, so a page that remembers the newest id it showed learns here what is new.
        """
        ...

    def story_articles(self, story_id: int) -> list[StoredArticle]:
        """A story's articles, oldest first."""
        ...

    def related_stories(self, story_id: int) -> list[tuple[int, float]]:
        """A story's related stories (not merged away) with their similarity, most similar first."""
        ...

    def related_among(self, story_ids: Sequence[int]) -> list[tuple[int, int]]:
        """(story, related story) pairs that name any of ``story_ids``."""
        ...

    def story_stats(
        self, *, since: datetime, recent_since: datetime, limit: int = 2_000, story_ids: Sequence[int] | None = None
    ) -> list[StoryStats]:
        """Coverage of the stories with an article since ``since`` (or of ``story_ids``), latest first."""
        ...

    def unassigned_articles(self, *, after_id: int = 0, limit: int = 500) -> list[StoredArticle]:
        """Articles with no story yet, by id, after ``after_id``."""
        ...

class EmbeddingStore(Protocol):
    """Embeddings cached by model and text key."""

    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        """Cached embeddings of ``model`` by text key (those found)."""
        ...

    def put_embeddings(self, model: str, vectors: Mapping[str, bytes]) -> None:
        """Cache embeddings of ``model`` by text key (existing keys are kept)."""
        ...

class CheckpointStore(Protocol):
    """The story clusterer's checkpoint, the lease of its one writer, and numbers for new stories."""

    def save_cluster_state(self, last_article_id: int, state: bytes, *,
                           writer: tuple[str, float, int] | None = None) -> None:
        """Replace the story clusterer's checkpoint (with ``writer``: only while it holds the lease)."""
        ...

    def take_lease(self, name: str, holder: str, seconds: float, *, replacing: str | None = None) -> bool:
        """Take or renew the lease ``name`` for ``seconds``; False while another holder's runs.

        ``replacing`` names a holder known to be dead (its process is gone): its lease is taken at once.
        """
        ...

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up now (if ``holder`` has it), so another process need not wait it out."""
        ...

    def lease(self, name: str) -> Lease | None:
        """The lease ``name`` as last written (it may have run out), or None if nobody took it."""
        ...

    def renew_lease(self, name: str, holder: str, seconds: float, progress: int) -> None:
        """Renew ``holder``'s lease ``name`` and raise its progress to ``progress`` (``LeaseLostError``: not held)."""
        ...

    def take_turn(self, name: str, spacing: float) -> float:
        """Take the next start time of ``name`` (a host, for politeness) and move it on by ``spacing`` seconds.

        Returns the seconds to wait for that start (0 when it is now). Atomic across processes.
        """
        ...

    def allocate_ids(self, name: str, count: int) -> int:
        """Reserve ``count`` new numbers of counter ``name``; the first (the block is consecutive).

        Atomic across processes and hosts sharing the database: no two callers get the same number.
        """
        ...

    def load_cluster_state(self) -> tuple[int, bytes] | None:
        """The last checkpoint of the story clusterer: last article id it had seen, and its state."""
        ...

class EntityStore(Protocol):
    """The archive's entities (one across articles and spellings), which articles name them, and quotes."""

    def entity_keys(self) -> list[tuple[str, int, EntityType]]:
        """Every (spelling-blind key, entity id, type) of the archive, to join new articles' entities to."""
        ...

    def save_article_entities(
        self, analyses: Sequence[tuple[int, Sequence[EntityLink], Sequence[Quote]]]
    ) -> list[list[int]]:
        """Replace, atomically, the entities and quotes of each (article id, links, quotes).

        A link without an entity id creates the entity (a negative id -k: the entity the k-th
        creating link of this call made); a link to an existing one adds its keys
        and takes a fuller name or a type where the entity had none. Returns the entity id of
        each link, per article, in order. A quote's speaker is linked to the entity of the
        same name among the article's links.
        """
        ...

    def article_entities(self, article_id: int) -> list[StoredEntity]:
        """An article's entities, ``mentions`` counted in it, most mentioned first."""
        ...

    def article_quotes(self, article_id: int) -> list[StoredQuote]:
        """An article's quotes, in the order it gives them."""
        ...

    def get_entity(self, entity_id: int) -> StoredEntity | None:
        """One entity, ``mentions`` counted over the archive, or None."""
        ...

    def entity_articles(self, entity_id: int, *, limit: int = 100) -> list[StoredArticle]:
        """The articles that name an entity, newest first."""
        ...

    def story_entities(self, story_id: int, *, limit: int = 50) -> list[StoredEntity]:
        """A story's entities, ``mentions`` counted over its articles, most mentioned first."""
        ...

    def story_quotes(self, story_id: int) -> list[StoredQuote]:
        """A story's quotes, its articles oldest first, each article's in order (to group by speaker)."""
        ...

class SummaryStore(Protocol):
    """Articles' key points, stories' summaries and timelines (the summaries stage's output)."""

    def save_key_points(self, points: Sequence[tuple[int, Sequence[SummarySentence]]]) -> None:
        """Replace the key points of each (article id, points)."""
        ...

    def key_points(self, article_id: int) -> list[SummarySentence]:
        """An article's key points, in the article's order (empty when none were made)."""
        ...

    def save_story_summaries(self, summaries: Sequence[tuple[int, StorySummary]]) -> None:
        """Replace the summary and timeline of each (story id, summary)."""
        ...

    def story_summary(self, story_id: int) -> StorySummary | None:
        """A story's stored summary and timeline, stale or not (compare its ``basis``), or None."""
        ...


class SearchStore(Protocol):
    """Full-text search over articles' titles and texts, kept in step with every article write."""

    def search_matches(self, terms: SearchTerms, filters: SearchFilters, *, limit: int,
                       window: int = 2_000) -> list[SearchMatch]:
        """The best ``limit`` articles matching ``terms`` within ``filters``, best first, with their stories.

        Only the newest ``window`` matches (by id) are scored: older ones are reached by a date filter.

        A group of copies is found once, by its first article, unless ``filters`` names an outlet.
        The score is the backend's own (bm25 on SQLite, ts_rank_cd on PostgreSQL): compare
        scores within one answer only.
        """
        ...

    def article_leads(self, article_ids: Sequence[int], *, chars: int) -> dict[int, tuple[str, str]]:
        """Title and the first ``chars`` characters of the text of each of ``article_ids`` that exists."""
        ...


class Store(ArticleStore, PageStore, SourceStore, CopyStore, StoryStore, EmbeddingStore, CheckpointStore,
            EntityStore, SummaryStore, SearchStore, Protocol):
    """The whole store: what ``open_store`` returns. Consumers ask for the narrow part they use."""

    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        ...

    @property
    def generation(self) -> int:
        """A number that grows with every write this process commits (not other processes' writes)."""
        ...

    def close(self) -> None:
        """Release connections. The store cannot be used afterwards."""
        ...
