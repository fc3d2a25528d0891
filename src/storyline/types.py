"""The data types of Storyline, one per phase of the data.

What a reader produces (:class:`RawItem`) is not what extraction produces
(:class:`ExtractedArticle`), nor what the store keeps (:class:`Article`) or returns
(:class:`StoredArticle`). All are frozen; change them with :func:`dataclasses.replace`.

Datetimes are always timezone-aware and in UTC once past the normalize stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Article",
    "ArticleEntity",
    "Citation",
    "DuplicateLink",
    "EntityLink",
    "EntityType",
    "ExtractedArticle",
    "FetchResult",
    "ImportReport",
    "ItemFailure",
    "ParsedFeed",
    "Quote",
    "RawItem",
    "RawPage",
    "SearchFilters",
    "SearchMatch",
    "SearchTerms",
    "Source",
    "SourceHealth",
    "SourceKind",
    "StoreStats",
    "StoredArticle",
    "StoredEntity",
    "StoredQuote",
    "Story",
    "StorySummary",
    "SummarySentence",
    "TimelineEntry",
    "UpsertOutcome",
    "UpsertResult",
]


class SourceKind(StrEnum):
    """Where a source's items come from."""

    FILE = "file"
    FEED = "feed"  # RSS, Atom or JSON Feed
    SITEMAP = "sitemap"  # XML sitemap or Google News sitemap
    PAGE = "page"  # one article URL
    SAMPLE = "sample"


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """How fetching a source has been going (all times UTC)."""

    last_fetched_at: datetime | None = None
    last_status: int | None = None  # HTTP status of the last fetch; None if it never answered
    last_error: str | None = None  # in plain words; None after a good fetch
    consecutive_failures: int = 0
    paused: bool = False  # paused after too many failures, or retired (410 Gone)
    items_per_day: float | None = None
    latency_ms: int | None = None
    next_fetch_at: datetime | None = None
    interval_s: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A place articles come from: a feed, a sitemap, an article URL, a folder, the sample."""

    id: int
    kind: SourceKind
    url: str
    title: str
    created_at: datetime
    folder: str | None = None
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    health: SourceHealth = field(default_factory=SourceHealth)


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item as read from an input, before extraction.

    Exactly one of ``html`` and ``text`` is usually set; ``origin`` names the input
    (a path with a line number, a feed URL) so errors can point at it.
    """

    origin: str
    title: str | None = None
    text: str | None = None
    html: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    is_sample: bool = False
    licence: str | None = None
    captured_at: datetime | None = None  # when the page or text was saved (relative times need it)
    # From feeds: the entry's id, its summary (HTML or text; `html` holds full content when
    # the feed carries it), update time, enclosure image, and what was wrong with its date.
    guid: str | None = None
    summary: str | None = None
    updated: datetime | None = None
    image: str | None = None
    date_problem: str | None = None  # "missing" or "future" (the date was then left out)
    html_is_fragment: bool = False  # `html` is an article body (feed content), not a whole page


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed or sitemap as parsed: its own metadata and its items, newest first."""

    url: str
    kind: SourceKind
    title: str | None
    site_url: str | None
    items: tuple[RawItem, ...]
    format: str  # "rss20", "atom10", "json11", "sitemap", "news-sitemap", ...
    problems: tuple[str, ...] = ()  # non-fatal: "not well-formed XML (recovered)", ...


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one HTTP fetch gave (after redirects).

    ``not_modified`` means a 304: nothing to parse. ``permanent_url`` is set when a 301/308
    moved the resource for good; ``gone`` on 410. ``retry_after`` (seconds) on 429/503.
    """

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    elapsed_ms: int
    not_modified: bool = False
    permanent_url: str | None = None
    gone: bool = False
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """An article's clean text and metadata, as extraction found them.

    ``text`` holds paragraphs separated by blank lines; a line starting with ``## `` is a
    sub-heading. ``credits`` are the news agencies the text credits ("AFP", "Reuters"),
    ``dateline`` the place the text opens with ("MOSCOW"). ``related`` holds other
    articles found on the same page (aggregator pages print them in full).
    """

    origin: str
    title: str
    text: str
    url: str | None = None
    outlet: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    is_sample: bool = False
    licence: str | None = None
    description: str | None = None
    updated: datetime | None = None
    canonical_url: str | None = None
    image: str | None = None
    body_html: str | None = None
    credits: tuple[str, ...] = ()
    dateline: str | None = None
    related: tuple[ExtractedArticle, ...] = ()


class EntityType(StrEnum):
    """What a named entity is."""

    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ArticleEntity:
    """A person, organisation or place an article names, its spellings and partial mentions merged.

    ``name`` is the fullest spelling without titles ("Volodymyr Zelenskyy"), ``aliases`` the
    other spellings as written ("Zelenskiy", "Zelenskyy"), ``mentions`` how often the title
    and text name it. ``spans`` are where the text (not the title) names it, as offsets.
    """

    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()
    mentions: int = 1
    tied_to: str | None = None  # the country an institution stands for ("the Kremlin" -> "Russia")
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Quote:
    """Words an article quotes directly, and who said them.

    ``speaker`` is the speaking entity's name (an :class:`ArticleEntity` name of the same
    article), ``speaker_as_written`` how the text names the speaker there ("Ushakov", "he",
    "a German government spokesman"); both None when the text does not say. ``start:end``
    is the quote in the article's text, quotation marks excluded.
    """

    text: str
    speaker: str | None
    speaker_as_written: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class EntityLink:
    """An article's entity as the entities stage stores it: the archive entity it joins (None: a new one).

    A negative ``entity_id`` -k names the entity the k-th link of the same call that had none
    created (one new person named by two articles of a batch is one entity).

    ``keys`` are the spelling-blind keys later articles' entities are looked up by, each with
    the spelling it was made from (``("zelenski", "Zelenskiy")``).
    """

    entity_id: int | None
    entity: ArticleEntity
    keys: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class StoredEntity:
    """A person, organisation or place of the archive, one across articles and spellings."""

    id: int
    name: str
    type: EntityType
    tied_to: str | None = None
    aliases: tuple[str, ...] = ()
    mentions: int = 0  # in the articles a read covers (one article's, or the archive's)


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A stored quote: its article, its place among the article's quotes, and the speaking entity's id."""

    article_id: int
    position: int
    text: str
    speaker: str | None
    speaker_as_written: str | None
    entity_id: int | None


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a summary sentence comes from: a sentence of an article.

    ``article`` is the stored article's id (or, for ``storyline summarize``, the input
    record's id); ``sentence`` counts the article's sentences from 0 as
    ``summarize.split_sentences`` splits its text; ``start:end`` is that sentence in the text,
    ``text`` its words.
    """

    article: int | str
    sentence: int
    start: int
    end: int
    text: str = ""  # the cited sentence's words (so that a citation can be checked without the article)


@dataclass(frozen=True, slots=True)
class SummarySentence:
    """A sentence of a summary, a key point or a timeline entry, and the sentences it rests on (its own first)."""

    text: str
    cites: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """What one report added to its story: its sentences new against everything reported before it."""

    article: int | str
    time: datetime | None
    added: tuple[SummarySentence, ...]


@dataclass(frozen=True, slots=True)
class StorySummary:
    """A story's summary and timeline, and what they were made from.

    ``basis`` names the articles (and their texts' hashes) the summary was made from: a
    reader finds a summary stale when the story's articles no longer match it.
    ``method`` is "extractive" or "llm:<model>".
    """

    sentences: tuple[SummarySentence, ...]
    timeline: tuple[TimelineEntry, ...]
    basis: str
    method: str = "extractive"
    made_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """An article ready to store: canonical URL, normalised text, UTC time, content hash."""

    canonical_url: str
    url: str | None
    title: str
    text: str
    content_hash: str
    outlet: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    word_count: int = 0
    is_sample: bool = False
    licence: str | None = None
    description: str | None = None
    modified: datetime | None = None
    image: str | None = None
    body_html: str | None = None
    credits: tuple[str, ...] = ()
    dateline: str | None = None
    # Filled by the per-article stages after normalize (``entities``, ``quotes``); the store
    # keeps them in tables of their own, not with the article's row.
    entities: tuple[ArticleEntity, ...] = ()
    quotes: tuple[Quote, ...] = ()
    key_points: tuple[SummarySentence, ...] = ()  # the summaries stage's (cites give sentence indices)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the store keeps it, with its id and bookkeeping times (UTC)."""

    id: int
    canonical_url: str
    url: str | None
    title: str
    text: str
    content_hash: str
    outlet: str | None
    published: datetime | None
    authors: tuple[str, ...]
    language: str | None
    word_count: int
    is_sample: bool
    licence: str | None
    source_id: int | None
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    modified: datetime | None = None
    image: str | None = None
    body_html: str | None = None
    credits: tuple[str, ...] = ()
    dateline: str | None = None

    @property
    def shown_time(self) -> datetime:
        """The time a reader should see: publication time, else when Storyline got it."""
        return self.published or self.created_at


@dataclass(frozen=True, slots=True)
class Story:
    """All coverage of one event (filled by the clustering stage)."""

    id: int
    title: str
    article_ids: tuple[int, ...]
    first_seen: datetime
    last_updated: datetime


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    """An article's place in a group of copies (the group is named by its first article)."""

    article_id: int
    group_id: int
    duplicate_of: int | None  # the copy it matched; None for the group's first article
    rule: str | None = None  # "exact", "near-duplicate", "teaser"
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class ArticleRevision:
    """An earlier version of an article its publisher edited: what it said, and when."""

    article_id: int
    title: str
    text: str
    content_hash: str
    stored_at: datetime  # when this version was stored
    replaced_at: datetime  # when the next version replaced it


@dataclass(frozen=True, slots=True)
class Lease:
    """Who writes a piece of shared state (the stories) until when, and how far they got."""

    name: str
    holder: str
    expires_at: datetime
    progress: int  # the holder's last article id


@dataclass(frozen=True, slots=True)
class StoryLink:
    """An article's place in a story."""

    article_id: int
    story_id: int
    score: float  # the clusterer's join probability (1.0 for a copy, which follows its original)


@dataclass(frozen=True, slots=True)
class StoryStats:
    """A story's coverage, as the home page ranks it (copies of one report count once)."""

    story_id: int
    articles: int  # stored articles, copies included
    reports: int  # distinct reports: a group of copies is one
    outlets: int  # distinct outlets
    first_seen: datetime
    last_seen: datetime
    recent: int  # reports in the recent window (momentum)
    lead_article_id: int | None  # its first report (not a copy)


@dataclass(frozen=True, slots=True)
class RawPage:
    """The HTML an article was extracted from, kept for re-extraction."""

    article_id: int
    url: str | None
    origin: str
    fetched_at: datetime
    html: str


class UpsertOutcome(StrEnum):
    """What an upsert did."""

    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """The id an upserted article has and what the upsert did to it."""

    article_id: int
    outcome: UpsertOutcome


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts over the whole store."""

    articles: int
    sample_articles: int
    outlets: int
    sources: int
    newest: datetime | None
    oldest: datetime | None


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """One input that could not be used, and why (one line, naming the input)."""

    origin: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of one ingest run."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: tuple[ItemFailure, ...] = field(default_factory=tuple)
    notes: tuple[ItemFailure, ...] = field(default_factory=tuple)  # stored, changed on the way (text cut)

    @property
    def stored(self) -> int:
        """Articles that the run inserted or changed."""
        return self.inserted + self.updated

    @property
    def seen(self) -> int:
        """Items that reached the store, changed or not."""
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a search looks for, parsed from the reader's words (``reading.search``).

    ``groups`` must all match (AND); a group matches when any of its phrases does (OR). A
    phrase is words as typed, matched as adjacent words; ``excluded`` phrases must not appear.
    The store quotes every phrase: nothing here is passed on as query syntax.
    """

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What a search is restricted to; None: any. ``since``/``until`` bound the shown time (UTC)."""

    outlet: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entity_id: int | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """An article a search found: its text-search score (higher is better) and its story, if any."""

    article_id: int
    score: float
    story_id: int | None
