"""Stories as readers see them: the ranked home page and one story's page.

A story page gathers every outlet's report of one event. Copies of a wire report are folded
under their original (one entry, "carried by ..."), reports are listed newest first, and
the timeline lists when each outlet reported, oldest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from storyline.reading.ranking import RankingWeights, rank_stories
from storyline.reading.summaries import current_summary
from storyline.store import ArticleStore, CopyStore, EntityStore, StoryStore, SummaryStore
from storyline.summarize.story import TermsCache
from storyline.types import StoredArticle, StoredEntity, StoredQuote, StoryStats, StorySummary, SummarySentence

__all__ = ["Report", "StoryCard", "StoryView", "home_stories", "story_view"]

# Stories on the home page: those with a report within this long of the newest article.
HOME_WINDOW = timedelta(hours=72)
# "Recent" for momentum.
RECENT = timedelta(hours=6)
# At most this many stories are ranked for the home page (the freshest by last report).
HOME_CANDIDATES = 2_000


class StoryReadStore(ArticleStore, CopyStore, StoryStore, EntityStore, SummaryStore, Protocol):
    """What story pages read: articles, copies, stories, their entities, quotes and summaries."""


@dataclass(frozen=True, slots=True)
class Report:
    """One report in a story: an article and the other outlets that carried the same copy."""

    article: StoredArticle
    copies: tuple[StoredArticle, ...] = ()

    @property
    def outlets(self) -> tuple[str, ...]:
        names = [self.article.outlet, *(c.outlet for c in self.copies)]
        return tuple(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True, slots=True)
class StoryCard:
    """A story on the home page: its lead report, its coverage and a few other headlines."""

    stats: StoryStats
    lead: StoredArticle
    others: tuple[StoredArticle, ...]  # other reports' headlines, newest first
    outlets: tuple[str, ...]  # the outlets that covered it, most articles first
    summary_lead: tuple[SummarySentence, ...] = ()  # the stored summary's first sentences (none yet: empty)

    @property
    def story_id(self) -> int:
        return self.stats.story_id

    @property
    def image(self) -> str | None:
        """A picture for the card: the lead report's, else another report's; https only (no mixed content)."""
        for article in (self.lead, *self.others):
            if article.image and article.image.startswith("https://") and len(article.image) <= MAX_IMAGE_URL:
                return article.image
        return None


# Longer image addresses are not shown (data smuggled in a URL, or a page's mistake).
MAX_IMAGE_URL = 2_000


@dataclass(frozen=True, slots=True)
class StoryView:
    """One story's page."""

    story_id: int
    title: str
    lead: StoredArticle
    reports: tuple[Report, ...]  # newest first
    timeline: tuple[StoredArticle, ...]  # every article, oldest first
    outlets: tuple[tuple[str, int], ...]  # outlet and how many of its articles, most first
    related: tuple[tuple[int, str], ...]  # related story ids and their titles
    first_seen: datetime
    last_seen: datetime
    summary: StorySummary | None = None  # cited summary and timeline of what each report added
    entities: tuple[StoredEntity, ...] = ()  # most mentioned first
    quotes: tuple[tuple[str, tuple[StoredQuote, ...]], ...] = ()  # by speaker, most quoted first

    def article(self, article_id: int | str) -> StoredArticle | None:
        """The story's article ``article_id`` (a citation's), or None."""
        return next((a for a in self.timeline if a.id == article_id), None)


def home_stories(
    store: StoryReadStore, *, page: int, page_size: int, now: datetime | None = None
) -> tuple[list[StoryCard], bool]:
    """One page (from 1) of ranked stories, and whether another page follows."""
    now = now or datetime.now(UTC)
    newest = store.stats().newest
    # An archive (or the sample) is ranked as of its newest article, not as of today.
    reference = min(now, newest) if newest is not None else now
    candidates = store.story_stats(since=reference - HOME_WINDOW, recent_since=reference - RECENT,
                                   limit=HOME_CANDIDATES)
    if len(candidates) < 3 * page_size:
        # A quiet spell, or an archive: the home page also shows older stories, ranked below.
        candidates = store.story_stats(since=datetime.min.replace(tzinfo=UTC), recent_since=reference - RECENT,
                                       limit=HOME_CANDIDATES)
    pairs = store.related_among([s.story_id for s in candidates])
    related: dict[int, list[int]] = {}
    for a, b in pairs:  # either direction damps
        related.setdefault(a, []).append(b)
        related.setdefault(b, []).append(a)
    start = (max(page, 1) - 1) * page_size
    ranked = rank_stories(candidates, reference, related=related, limit=start + page_size + 1,
                          weights=freshness_for(candidates, now, newest))
    chosen = ranked[start : start + page_size]
    return [_card(store, stats) for stats in chosen], len(ranked) > start + page_size


def freshness_for(candidates: Sequence[StoryStats], now: datetime, newest: datetime | None) -> RankingWeights:
    """The ranking's weights for a store: live news halves a story's weight every 12 hours; an archive does not.

    A store whose newest article is older than ``HOME_WINDOW`` is an archive (an import, the
    bundled sample): its stories span months or years, and a 12-hour half-life would put its
    last few one-report items above every story many outlets covered. There, the half-life
    is the span of the stories ranked, so breadth decides and recency only breaks near-ties.
    """
    if newest is None or now - newest <= HOME_WINDOW or not candidates:
        return RankingWeights()
    span = max(s.last_seen for s in candidates) - min(s.last_seen for s in candidates)
    return RankingWeights(half_life_hours=max(RankingWeights().half_life_hours, span.total_seconds() / 3600))


def _card(store: StoryReadStore, stats: StoryStats) -> StoryCard:
    articles = store.story_articles(stats.story_id)
    reports = _reports(store, articles)
    lead = _lead(reports)
    others = tuple(r.article for r in reports if r.article.id != lead.id)[:3]
    # The stored summary, as the stage left it (a card never recomputes one: pages do).
    summary = store.story_summary(stats.story_id)
    return StoryCard(stats, lead, others, _outlets(articles), _lead_sentences(summary))


# A card shows the summary's first sentences up to about this many words.
CARD_WORDS = 60


def _lead_sentences(summary: StorySummary | None) -> tuple[SummarySentence, ...]:
    if summary is None:
        return ()
    taken: list[SummarySentence] = []
    words = 0
    for sentence in summary.sentences:
        if taken and words + len(sentence.text.split()) > CARD_WORDS:
            break
        taken.append(sentence)
        words += len(sentence.text.split())
    return tuple(taken)


def story_view(store: StoryReadStore, story_id: int, cache: TermsCache | None = None) -> StoryView | None:
    """The story ``story_id`` (already resolved through merges), or None when it has no articles."""
    articles = store.story_articles(story_id)
    if not articles:
        return None
    reports = _reports(store, articles)
    lead = _lead(reports)
    related = []
    for other_id, _score in store.related_stories(story_id):
        other = store.story_stats(since=datetime.min.replace(tzinfo=UTC), recent_since=datetime.now(UTC),
                                  story_ids=[other_id])
        lead_id = other[0].lead_article_id if other else None
        other_lead = store.get_article(lead_id) if lead_id is not None else None
        if other_lead is not None:
            related.append((other_id, other_lead.title))
    counts = Counter(a.outlet or "Unknown outlet" for a in articles)
    return StoryView(
        story_id=story_id, title=lead.title, lead=lead, reports=tuple(reports), timeline=tuple(articles),
        outlets=tuple(counts.most_common()), related=tuple(related),
        first_seen=min(a.shown_time for a in articles), last_seen=max(a.shown_time for a in articles),
        summary=current_summary(store, story_id, articles, cache or TermsCache(size=MAX_CACHED)),
        entities=tuple(store.story_entities(story_id, limit=30)), quotes=_by_speaker(store.story_quotes(story_id)),
    )


# A story page without the app's cache analyses at most this many articles (one story's).
MAX_CACHED = 1_000


def _by_speaker(quotes: Sequence[StoredQuote]) -> tuple[tuple[str, tuple[StoredQuote, ...]], ...]:
    """Quotes grouped by who said them (unattributed ones left out), the most quoted speaker first."""
    groups: dict[str, list[StoredQuote]] = {}
    for quote in quotes:
        if quote.speaker:
            groups.setdefault(quote.speaker, []).append(quote)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple((speaker, tuple(found)) for speaker, found in ranked)


def _reports(store: StoryReadStore, articles: Sequence[StoredArticle]) -> list[Report]:
    """The story's articles as reports: copies under the article they copy, newest report first."""
    copied = store.copied_from([a.id for a in articles])
    by_id = {a.id: a for a in articles}

    def root(article_id: int) -> int:
        seen = 0
        while article_id in copied and copied[article_id] in by_id and seen < len(copied):
            article_id, seen = copied[article_id], seen + 1
        return article_id

    groups: dict[int, list[StoredArticle]] = {}
    for article in articles:
        groups.setdefault(root(article.id), []).append(article)
    reports = [Report(by_id[r], tuple(a for a in members if a.id != r)) for r, members in groups.items()]
    return sorted(reports, key=lambda r: (r.article.shown_time, r.article.id), reverse=True)


def _lead(reports: Sequence[Report]) -> StoredArticle:
    """The report that stands for the story: the most carried, then the longest, then the first."""
    best = max(reports, key=lambda r: (len(r.copies), min(r.article.word_count, 800), -r.article.id))
    return best.article


def _outlets(articles: Sequence[StoredArticle]) -> tuple[str, ...]:
    return tuple(name for name, _ in Counter(a.outlet for a in articles if a.outlet).most_common())
