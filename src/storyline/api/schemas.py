"""Response shapes of the JSON API (they are also its OpenAPI schema)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from storyline.app import EntityView, SearchGroup, SearchHit, SearchResults, StoryAnswer, StoryCard, StoryView
from storyline.types import (
    ArticleRevision,
    Citation,
    Source,
    SourceKind,
    StoredArticle,
    StoredEntity,
    StoredQuote,
    StoreStats,
    SummarySentence,
    TimelineEntry,
)

# Ids are 32-bit in the database (PostgreSQL ``integer``): a larger number in an address
# is a page that does not exist, answered as such, not a database error.
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="An id, as listed by the API.")]


class ArticleSummary(BaseModel):
    """An article in a list: everything but the full text."""

    id: int
    title: str
    url: str | None = Field(description="Where the article was published, when known.")
    canonical_url: str
    outlet: str | None
    published: datetime | None = Field(description="Publication time (UTC), when known.")
    received: datetime = Field(description="When Storyline stored the article (UTC).")
    authors: list[str]
    language: str | None
    word_count: int
    is_sample: bool
    excerpt: str

    @classmethod
    def of(cls, article: StoredArticle) -> ArticleSummary:
        return cls(**_common(article), excerpt=excerpt(article.text))


class ArticleDetail(BaseModel):
    """One article with its full text."""

    id: int
    title: str
    url: str | None
    canonical_url: str
    outlet: str | None
    published: datetime | None
    received: datetime
    updated: datetime
    authors: list[str]
    language: str | None
    word_count: int
    is_sample: bool
    licence: str | None
    text: str
    key_points: list[CitedSentence] = Field(default=[], description="Its three most central sentences.")

    @classmethod
    def of(cls, article: StoredArticle, key_points: Sequence[SummarySentence] = ()) -> ArticleDetail:
        return cls(
            **_common(article), updated=article.updated_at, licence=article.licence, text=article.text,
            key_points=[CitedSentence.of(p) for p in key_points],
        )


class StorySummary(BaseModel):
    """A story in a list: its lead report and its coverage."""

    id: int
    title: str = Field(description="The lead report's headline.")
    lead: ArticleSummary
    headlines: list[ArticleSummary] = Field(description="A few other reports, newest first.")
    articles: int = Field(description="Articles in the story, copies included.")
    reports: int = Field(description="Distinct reports: copies of one wire report count once.")
    outlets: list[str] = Field(description="Outlets that covered it, most articles first.")
    first_seen: datetime
    last_seen: datetime
    summary: list[CitedSentence] = Field(default_factory=list,
                                         description="The story summary's first sentences, each cited.")

    @classmethod
    def of(cls, card: StoryCard) -> StorySummary:
        return cls(id=card.story_id, title=card.lead.title, lead=ArticleSummary.of(card.lead),
                   headlines=[ArticleSummary.of(a) for a in card.others], articles=card.stats.articles,
                   reports=card.stats.reports, outlets=list(card.outlets), first_seen=card.stats.first_seen,
                   last_seen=card.stats.last_seen, summary=[CitedSentence.of(s) for s in card.summary_lead])


class StoryPage(BaseModel):
    """One page of stories, best first (see the ranking in the docs)."""

    page: int
    page_size: int
    stories: list[StorySummary]
    next: str | None = Field(description="URL of the next page, or null on the last one.")


class NewStories(BaseModel):
    """What is new since a page was shown: the home page polls this to offer its new stories."""

    after: int = Field(description="The story id asked about (the newest the reader has seen).")
    count: int = Field(description="Stories made since then (stories merged into others not counted).")
    newest: int = Field(description="The newest story's id, to ask about next time (0: no stories).")


class ReportOut(BaseModel):
    """One report of a story, with the outlets that carried a copy of it."""

    article: ArticleSummary
    copies: list[ArticleSummary]
    outlets: list[str]


class RelatedStory(BaseModel):
    id: int
    title: str


class CiteOut(BaseModel):
    """A sentence of an article that a summary sentence rests on."""

    id: int | str = Field(description="The article's id (in `storyline summarize`: the input record's id).")
    sentence: str = Field(description="The cited sentence, as the article says it.")
    index: int = Field(description="The sentence's number in the article's text, from 0.")
    start: int = Field(description="Where the sentence starts in the article's text (characters).")
    end: int

    @classmethod
    def of(cls, cite: Citation) -> CiteOut:
        return cls(id=cite.article, sentence=cite.text, index=cite.sentence, start=cite.start, end=cite.end)


class CitedSentence(BaseModel):
    """A sentence of a summary, key points or timeline, with its sources (its own place first)."""

    sentence: str
    cites: list[CiteOut]

    @classmethod
    def of(cls, sentence: SummarySentence) -> CitedSentence:
        return cls(sentence=sentence.text, cites=[CiteOut.of(c) for c in sentence.cites])


class TimelineEntryOut(BaseModel):
    """What one report added to its story: its sentences new against earlier reports."""

    article: int | str
    time: datetime | None
    added: list[CitedSentence]

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryOut:
        return cls(article=entry.article, time=entry.time, added=[CitedSentence.of(s) for s in entry.added])


class EntityOut(BaseModel):
    """A person, organisation or place, one across spellings."""

    id: int
    name: str
    type: str = Field(description="person, organization, place or other.")
    aliases: list[str]
    mentions: int
    tied_to: str | None = None

    @classmethod
    def of(cls, entity: StoredEntity) -> EntityOut:
        return cls(id=entity.id, name=entity.name, type=entity.type.value, aliases=list(entity.aliases),
                   mentions=entity.mentions, tied_to=entity.tied_to)


class EntityStoryOut(BaseModel):
    """A story naming an entity."""

    id: int
    title: str = Field(description="The lead report's headline.")
    lead: ArticleSummary
    outlets: int = Field(description="Distinct outlets that covered the story.")
    reports: int
    mentions: int = Field(description="Articles of the story that name the entity.")
    first_seen: datetime
    last_seen: datetime


class EntityDetail(EntityOut):
    """A person, organisation or place, and the stories naming it, latest first."""

    stories: list[EntityStoryOut]
    unassigned: list[ArticleSummary] = Field(description="Articles naming it that have no story yet.")

    @classmethod
    def of_view(cls, view: EntityView) -> EntityDetail:
        entity = EntityOut.of(view.entity)
        return cls(**entity.model_dump(), stories=[
            EntityStoryOut(id=s.story_id, title=s.lead.title, lead=ArticleSummary.of(s.lead), outlets=s.stats.outlets,
                           reports=s.stats.reports, mentions=s.mentions, first_seen=s.stats.first_seen,
                           last_seen=s.stats.last_seen) for s in view.stories],
            unassigned=[ArticleSummary.of(a) for a in view.unassigned])


class QuoteOut(BaseModel):
    """Words an article quotes directly, and who said them."""

    text: str
    speaker: str | None
    speaker_as_written: str | None
    article: int

    @classmethod
    def of(cls, quote: StoredQuote) -> QuoteOut:
        return cls(text=quote.text, speaker=quote.speaker, speaker_as_written=quote.speaker_as_written,
                   article=quote.article_id)


class StoryDetail(BaseModel):
    """One story: its cited summary, what each report added, who said what, who is involved, every report."""

    id: int
    title: str
    summary: list[CitedSentence] = Field(description="3-6 sentences of the reports, each citing its sources.")
    summary_method: str = Field(description="extractive, or llm:<model> when an LLM wrote it under check.")
    developments: list[TimelineEntryOut] = Field(description="What each report added, oldest first.")
    quotes: dict[str, list[QuoteOut]] = Field(description="Direct quotes by speaker, the most quoted first.")
    entities: list[EntityOut] = Field(description="People, organisations and places, most mentioned first.")
    reports: list[ReportOut] = Field(description="Newest first; copies folded under the report they copy.")
    timeline: list[ArticleSummary] = Field(description="Every article, oldest first.")
    outlets: dict[str, int] = Field(description="Articles per outlet.")
    related: list[RelatedStory]
    first_seen: datetime
    last_seen: datetime

    @classmethod
    def of(cls, view: StoryView) -> StoryDetail:
        summary = view.summary
        return cls(
            id=view.story_id, title=view.title,
            summary=[CitedSentence.of(s) for s in summary.sentences] if summary else [],
            summary_method=summary.method if summary else "extractive",
            developments=[TimelineEntryOut.of(e) for e in summary.timeline] if summary else [],
            quotes={speaker: [QuoteOut.of(q) for q in quotes] for speaker, quotes in view.quotes},
            entities=[EntityOut.of(e) for e in view.entities],
            reports=[ReportOut(article=ArticleSummary.of(r.article), copies=[ArticleSummary.of(c) for c in r.copies],
                               outlets=list(r.outlets)) for r in view.reports],
            timeline=[ArticleSummary.of(a) for a in view.timeline], outlets=dict(view.outlets),
            related=[RelatedStory(id=i, title=t) for i, t in view.related],
            first_seen=view.first_seen, last_seen=view.last_seen,
        )


class RevisionOut(BaseModel):
    """An earlier version of an article its publisher edited."""

    title: str
    text: str
    stored_at: datetime
    replaced_at: datetime

    @classmethod
    def of(cls, revision: ArticleRevision) -> RevisionOut:
        return cls(title=revision.title, text=revision.text, stored_at=revision.stored_at,
                   replaced_at=revision.replaced_at)


class ArticlePage(BaseModel):
    """One page of articles, newest first."""

    page: int
    page_size: int
    articles: list[ArticleSummary]
    next: str | None = Field(description="URL of the next page, or null on the last one.")


class Stats(BaseModel):
    """Counts over the store."""

    articles: int
    sample_articles: int
    outlets: int
    sources: int
    newest: datetime | None
    oldest: datetime | None

    @classmethod
    def of(cls, stats: StoreStats) -> Stats:
        return cls(
            articles=stats.articles, sample_articles=stats.sample_articles, outlets=stats.outlets,
            sources=stats.sources, newest=stats.newest, oldest=stats.oldest,
        )


class Health(BaseModel):
    """Whether Storyline and its store answer."""

    status: str
    version: str
    database: str
    checked_at: datetime


class ErrorBody(BaseModel):
    status: int
    message: str


class ErrorResponse(BaseModel):
    """What every API error returns."""

    error: ErrorBody


def excerpt(text: str, limit: int = 280) -> str:
    """The start of ``text``, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + "…"


def _common(article: StoredArticle) -> dict[str, object]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "outlet": article.outlet,
        "published": article.published,
        "received": article.created_at,
        "authors": list(article.authors),
        "language": article.language,
        "word_count": article.word_count,
        "is_sample": article.is_sample,
    }


def utc_now() -> datetime:
    return datetime.now(UTC)


# Sources Storyline fetches. Imported files and folders are sources too, but their local
# paths are nobody's business on the web: the API and /sources list these kinds only.
FETCHED_KINDS = frozenset({SourceKind.FEED, SourceKind.SITEMAP, SourceKind.PAGE})


class SourceOut(BaseModel):
    """A source and how fetching it has been going."""

    id: int
    kind: str
    url: str
    title: str
    folder: str | None
    site_url: str | None
    last_fetched_at: datetime | None
    last_status: int | None
    last_error: str | None = Field(description="Why the last fetch failed, in plain words; null when it worked.")
    consecutive_failures: int
    paused: bool
    items_per_day: float | None
    latency_ms: int | None
    next_fetch_at: datetime | None

    @classmethod
    def of(cls, source: Source) -> SourceOut:
        h = source.health
        return cls(
            id=source.id, kind=source.kind.value, url=source.url, title=source.title, folder=source.folder,
            site_url=source.site_url, last_fetched_at=h.last_fetched_at, last_status=h.last_status,
            last_error=h.last_error, consecutive_failures=h.consecutive_failures, paused=h.paused,
            items_per_day=h.items_per_day, latency_ms=h.latency_ms, next_fetch_at=h.next_fetch_at,
        )


# -- search ---------------------------------------------------------------------------------


def marked_html(pieces: Sequence[tuple[str, bool]]) -> str:
    """Text pieces as escaped HTML, matched ones in <mark>: the only markup a result ever carries."""
    return "".join(f"<mark>{html.escape(text)}</mark>" if matched else html.escape(text) for text, matched in pieces)


def plain(pieces: Sequence[tuple[str, bool]]) -> str:
    return " ".join("".join(text for text, _ in pieces).split())


class SearchHitOut(BaseModel):
    """A matching article: its summary, and its title and best passage with the matched words marked."""

    article: ArticleSummary
    title_html: str = Field(description="The title as HTML: escaped text, matched words in <mark>.")
    snippet: str = Field(description="The best passage, plain text.")
    snippet_html: str = Field(description="The passage as HTML: escaped text, matched words in <mark>.")
    score: float = Field(description="Words and meaning together; compare within one answer only.")
    similarity: float | None = Field(description="Cosine of the query's and the article's embeddings, if stored.")

    @classmethod
    def of(cls, hit: SearchHit) -> SearchHitOut:
        return cls(article=ArticleSummary.of(hit.article), title_html=marked_html(hit.title),
                   snippet=plain(hit.passage), snippet_html=marked_html(hit.passage), score=round(hit.score, 6),
                   similarity=None if hit.similarity is None else round(hit.similarity, 6))


class SearchGroupOut(BaseModel):
    """A story's best matching articles, or one article that is in no story (``story_id`` null)."""

    story_id: int | None
    title: str = Field(description="The story's headline (its first report's), else the article's title.")
    url: str | None = Field(description="The story's page, when the hits belong to a story.")
    articles: int = Field(description="Articles in the story.")
    outlets: int
    hits: list[SearchHitOut]
    more: int = Field(description="Further matching articles of this story not listed.")

    @classmethod
    def of(cls, group: SearchGroup) -> SearchGroupOut:
        return cls(story_id=group.story_id, title=group.title,
                   url=f"/stories/{group.story_id}" if group.story_id is not None else None,
                   articles=group.articles, outlets=group.outlets, hits=[SearchHitOut.of(h) for h in group.hits],
                   more=group.more)


class SearchPage(BaseModel):
    """One page of search results, grouped by story, best first."""

    query: str = Field(description="The words searched (cleaned, at most 300 characters).")
    page: int
    matches: int = Field(description="Matching articles found (at most 500; see capped).")
    capped: bool = Field(description="More articles matched than the 500 best that were ranked.")
    reranked: bool = Field(description="Whether stored embeddings re-ranked the best matches by meaning.")
    notices: list[str] = Field(description="What was changed in the query (cut, words left out).")
    groups: list[SearchGroupOut]
    next: str | None = Field(description="URL of the next page, or null on the last one.")

    @classmethod
    def of(cls, results: SearchResults, next_url: str | None) -> SearchPage:
        return cls(query=results.request.query, page=results.request.page, matches=results.matches,
                   capped=results.capped, reranked=results.reranked, notices=list(results.notices),
                   groups=[SearchGroupOut.of(g) for g in results.groups], next=next_url)


class AnswerOut(BaseModel):
    """A question asked of a story, and its answer: sentences of the story's reports, each cited."""

    question: str = Field(description="The question as asked (control characters and runs of spaces folded).")
    story_id: int | None = Field(description="The story asked; null when an article without a story was asked alone.")
    known: bool = Field(description="False: nothing in the story supports an answer (\"I don't know\").")
    method: str = Field(description="extractive, or llm:<model> when an LLM wrote it under the citation check.")
    answer: list[CitedSentence] = Field(description="Best first; empty when not known.")

    @classmethod
    def of(cls, asked: StoryAnswer) -> AnswerOut:
        given = asked.answer
        return cls(question=asked.question, story_id=asked.story_id, known=given.known, method=given.method,
                   answer=[CitedSentence.of(s) for s in given.sentences])
