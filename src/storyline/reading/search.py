"""Search as readers use it: their words and filters checked, matches re-ranked by meaning, grouped by story.

The store finds and scores articles by their words (FTS5 bm25 on SQLite, ``ts_rank_cd`` on
PostgreSQL). Here:

- :func:`parse_request` turns what a reader typed into :class:`SearchTerms` and
  :class:`SearchFilters`, or an :class:`~storyline.errors.InputError` naming the parameter.
  The syntax is small and documented (docs/search.md): words (all must appear), ``"exact
  phrases"``, ``-word`` to leave out, ``OR`` between two words; everything else is a word.
- :func:`passage` picks the stretch of an article where the query's words are, and marks them
  (in Python, the same on both backends: the databases' own highlighters, FTS5 ``snippet`` and
  ``ts_headline``, re-read whole articles and cost ~0.4 ms an article, most of a search's time).
- :func:`search` re-ranks the best :data:`RERANK` matches by the cosine between the query's
  embedding and each article's stored one (what the stories stage embedded, found by the same
  text key), groups them by story and cuts one page of groups.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

import numpy as np
import structlog

from storyline.embed import Embedder, embedding_text, text_key
from storyline.embed.text import LEAD_CHARS
from storyline.errors import InputError, StorylineError
from storyline.store import ArticleStore, EmbeddingStore, EntityStore, SearchStore, StoryStore
from storyline.types import (
    SearchFilters,
    SearchMatch,
    SearchTerms,
    StoredArticle,
    StoredEntity,
)

__all__ = [
    "MAX_QUERY_CHARS",
    "SearchGroup",
    "SearchHit",
    "SearchRequest",
    "SearchResults",
    "parse_request",
    "search",
]

log = structlog.get_logger(__name__)

# A query longer than this is cut (and the page says so): nobody types more, and each phrase
# costs the database a posting-list walk.
MAX_QUERY_CHARS = 300
MAX_PHRASES = 16
MAX_FILTER_CHARS = 200
# The best matches the store returns (the count shown is "500+" past it) and those re-ranked by meaning.
CANDIDATES = 500
RERANK = 50
# Stories (or lone articles) per page of results; matching articles shown in each.
GROUPS_PER_PAGE = 10
HITS_PER_GROUP = 3
MAX_PAGE = (CANDIDATES + GROUPS_PER_PAGE - 1) // GROUPS_PER_PAGE
# Final score = LEXICAL_WEIGHT * (text score / best text score) + (1 - LEXICAL_WEIGHT) * cosine.
# An even mix, chosen, not fitted: there is no labelled set of queries and relevant articles yet.
LEXICAL_WEIGHT = 0.5
# Characters of text read to rebuild an article's embedding key: embedding_text keeps ~600
# characters of lead after folding whitespace and dropping a repeated title; a lead with ~1,000
# characters of blank space or title before that misses its vector and is ranked by its words alone.
_LEAD_READ = LEAD_CHARS * 2 + 400
_MAX_ID = 2**31 - 1
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')
_WORDLIKE = re.compile(r"\w")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


class SearchReadStore(SearchStore, ArticleStore, StoryStore, EntityStore, EmbeddingStore, Protocol):
    """What search reads: matches and passages, articles, stories, entities and stored embeddings."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A checked search: the query as searched, its terms, filters and page, and notes for the reader."""

    query: str
    terms: SearchTerms
    filters: SearchFilters
    page: int = 1
    notices: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.terms.groups


Segment = tuple[str, bool]  # a piece of text and whether it is a matched word


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article with its title and best passage as segments (matched words marked)."""

    article: StoredArticle
    title: tuple[Segment, ...]
    passage: tuple[Segment, ...]
    score: float  # the final score (text and meaning), for ordering within one answer
    similarity: float | None  # cosine with the query, when the article has a stored embedding


@dataclass(frozen=True, slots=True)
class SearchGroup:
    """A story's best matching articles (or one article that is in no story)."""

    story_id: int | None
    title: str  # the story's lead report's headline, else the article's title
    hits: tuple[SearchHit, ...]
    more: int  # further matching articles of the story not shown
    articles: int = 0  # articles in the story
    outlets: int = 0


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of grouped results."""

    request: SearchRequest
    groups: tuple[SearchGroup, ...]
    matches: int  # matching articles found (at most CANDIDATES)
    capped: bool  # more matched than CANDIDATES
    has_next: bool
    reranked: bool  # some matches had stored embeddings and were re-ranked by meaning
    entity: StoredEntity | None = None
    notices: tuple[str, ...] = field(default=())


def _clean(text: str) -> str:
    """Control and format characters become spaces (they are never part of a word)."""
    return "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Cs"} else ch for ch in text)


def parse_terms(query: str) -> tuple[SearchTerms, tuple[str, ...]]:
    """The terms of a (cleaned, capped) query, and notes on what was left out."""
    notices: list[str] = []
    items: list[tuple[bool, str] | None] = []  # (excluded, phrase); None: an OR
    for token in _TOKEN.findall(query):
        if token == "OR":
            items.append(None)
            continue
        if token == "AND":  # every word must appear anyway
            continue
        excluded = token.startswith("-") and len(token) > 1
        phrase = (token[1:] if excluded else token).strip('"').strip()
        if _WORDLIKE.search(phrase):  # a term of punctuation only matches nothing: dropped
            items.append((excluded, " ".join(phrase.split())))
    groups: list[list[str]] = []
    excluded_phrases: list[str] = []
    join_next = False
    for item in items:
        if item is None:
            join_next = bool(groups)
            continue
        is_excluded, phrase = item
        if is_excluded:
            excluded_phrases.append(phrase)
        elif join_next:
            groups[-1].append(phrase)
        else:
            groups.append([phrase])
        join_next = False
    if len(groups) + len(excluded_phrases) > MAX_PHRASES:
        notices.append(f"Only the first {MAX_PHRASES} words or phrases were searched.")
        groups = groups[:MAX_PHRASES]
        excluded_phrases = excluded_phrases[: max(0, MAX_PHRASES - len(groups))]
    return SearchTerms(tuple(tuple(g) for g in groups), tuple(excluded_phrases)), tuple(notices)


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(name, f"{value[:40]!r} is not a date", hint="Write dates as YYYY-MM-DD.") from None


def parse_request(
    q: str | None = None, *, outlet: str | None = None, since: str | None = None, until: str | None = None,
    entity: str | None = None, lang: str | None = None, page: str | int | None = None,
) -> SearchRequest:
    """Check what a reader asked for; an InputError names the first parameter that is not valid."""
    notices: list[str] = []
    query = " ".join(_clean(q or "").split())
    if len(query) > MAX_QUERY_CHARS:
        cut = query.rfind(" ", 0, MAX_QUERY_CHARS)
        query = query[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
        notices.append(f"The search was cut to its first {MAX_QUERY_CHARS} characters.")
    terms, term_notices = parse_terms(query)
    notices.extend(term_notices)
    if not terms.groups and terms.excluded:
        raise InputError("q", "a search cannot consist only of words to leave out",
                         hint="Add a word to look for, e.g. 'election -poll'.")
    outlet_name = " ".join(_clean(outlet or "").split())[:MAX_FILTER_CHARS] or None
    first = _date("from", since) if since and since.strip() else None
    last = _date("to", until) if until and until.strip() else None
    if first and last and first > last:
        raise InputError("from", f"{first} is after {last}", hint="Put the earlier date in 'from'.")
    entity_id: int | None = None
    if entity is not None and entity.strip():
        try:
            entity_id = int(entity.strip())
        except ValueError:
            raise InputError("entity", f"{entity[:40]!r} is not an entity id",
                             hint="Use the id of a person, place or organisation (a number).") from None
        if not 1 <= entity_id <= _MAX_ID:
            raise InputError("entity", f"{entity_id} is not an entity id", hint="Entity ids start at 1.")
    language = lang.strip() if lang is not None and lang.strip() else None
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise InputError("lang", f"{language[:40]!r} is not a language code", hint="Use a code such as en or fr.")
    page_number = 1
    if page is not None and str(page).strip():
        try:
            page_number = int(str(page).strip())
        except ValueError:
            raise InputError("page", f"{str(page)[:40]!r} is not a page number") from None
        if not 1 <= page_number <= MAX_PAGE:
            raise InputError("page", f"there is no page {page_number} of results",
                             hint=f"Pages run from 1 to at most {MAX_PAGE}.")
    filters = SearchFilters(
        outlet=outlet_name,
        since=datetime.combine(first, time.min, UTC) if first else None,
        until=datetime.combine(last, time.min, UTC) + timedelta(days=1) if last else None,
        entity_id=entity_id, language=language,
    )
    return SearchRequest(query, terms, filters, page_number, tuple(notices))


# Common English endings taken off a query word before it is looked for as a word start, so
# that "flooding" marks "flood" and "floods" (the index stems; this only decides what is marked).
_ENDINGS = ("ings", "ing", "ies", "ied", "es", "ed", "s", "ly")
PASSAGE_CHARS = 260


def word_pattern(terms: SearchTerms) -> re.Pattern[str] | None:
    """A pattern for the words of ``terms``' phrases: each as a word start, its ending loose."""
    stems = set()
    for group in terms.groups:
        for phrase in group:
            for word in re.findall(r"\w+", phrase.casefold()):
                for ending in _ENDINGS:
                    if word.endswith(ending) and len(word) - len(ending) >= 3:
                        word = word[: -len(ending)]
                        break
                stems.add(re.escape(word))
    if not stems:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(stems, key=len, reverse=True)) + r")\w*", re.IGNORECASE)


def marked(text: str, pattern: re.Pattern[str] | None) -> tuple[Segment, ...]:
    """``text`` as (piece, matched) segments."""
    if pattern is None:
        return ((text, False),) if text else ()
    found: list[Segment] = []
    at = 0
    for match in pattern.finditer(text):
        if match.start() > at:
            found.append((text[at : match.start()], False))
        found.append((match.group(), True))
        at = match.end()
    if at < len(text):
        found.append((text[at:], False))
    return tuple(found)


def passage(text: str, pattern: re.Pattern[str] | None) -> tuple[Segment, ...]:
    """About PASSAGE_CHARS of ``text`` around the place most of the query's words are near, matches marked.

    Cut at word boundaries, "…" where text was left out; the start of the text when no word is found.
    """
    flat = " ".join(text.split())
    starts: list[tuple[int, str]] = []
    if pattern is not None:
        for match in pattern.finditer(flat):
            starts.append((match.start(), match.group().casefold()[:5]))
            if len(starts) == 50:
                break
    begin = 0
    if starts:
        def variety(i: int) -> tuple[int, int]:  # distinct words within half a passage after match i
            reach = starts[i][0] + PASSAGE_CHARS // 2
            return len({word for at, word in starts[i:] if at < reach}), -i

        best = max(range(len(starts)), key=variety)
        begin = max(0, starts[best][0] - PASSAGE_CHARS // 4)
        if begin:
            space = flat.find(" ", begin)
            begin = space + 1 if 0 <= space < starts[best][0] else starts[best][0]
    end = begin + PASSAGE_CHARS
    if end < len(flat):
        space = flat.rfind(" ", begin, end)
        end = space if space > begin else end
    piece = flat[begin:end]
    pieces = marked(piece, pattern)
    return ((("…", False),) if begin else ()) + pieces + ((("…", False),) if end < len(flat) else ())


def _similarities(store: SearchReadStore, embedder: Embedder, query: str,
                  article_ids: Sequence[int]) -> dict[int, float]:
    """Cosine of the query with each article's stored embedding (articles without one are absent)."""
    leads = store.article_leads(article_ids, chars=_LEAD_READ)
    keys = {article_id: text_key(embedding_text(title, text)).hex() for article_id, (title, text) in leads.items()}
    stored = store.get_embeddings(embedder.name, sorted(set(keys.values())))
    if not stored:
        return {}  # nothing embedded (stories off, or not yet): the query is not embedded either
    vector = embedder.embed([query])[0]
    found: dict[int, float] = {}
    for article_id, key in keys.items():
        if key in stored:
            row = np.frombuffer(stored[key], dtype=np.float32)
            if row.shape == vector.shape:
                found[article_id] = float(row @ vector)
    return found


def rerank(matches: Sequence[SearchMatch], similarity: Mapping[int, float]) -> list[tuple[SearchMatch, float]]:
    """The first RERANK matches ordered by text score and meaning together, then the rest as they were.

    An article without a stored embedding takes the median similarity of those with one.
    """
    head, tail = list(matches[:RERANK]), list(matches[RERANK:])
    if not head or not similarity:
        return [(m, m.score) for m in matches]
    best = max(m.score for m in head) or 1.0
    middle = float(np.median(list(similarity.values())))
    scored = [(m, LEXICAL_WEIGHT * m.score / best + (1 - LEXICAL_WEIGHT) * similarity.get(m.article_id, middle))
              for m in head]
    scored.sort(key=lambda pair: -pair[1])
    floor = min(s for _, s in scored)
    # The rest keep their order, below every re-ranked match.
    return scored + [(m, floor - 1 - i) for i, m in enumerate(tail)]


def search(store: SearchReadStore, request: SearchRequest, *,
           embedder: Callable[[], Embedder | None] | None = None) -> SearchResults:
    """One page of results for ``request``; an unknown entity is an InputError."""
    entity = None
    if request.filters.entity_id is not None:
        entity = store.get_entity(request.filters.entity_id)
        if entity is None:
            raise InputError("entity", f"there is no person, place or organisation with id {request.filters.entity_id}",
                             hint="Follow an entity's link from a story or article page.")
    if request.is_empty:
        return SearchResults(request, (), 0, False, False, False, entity, request.notices)
    matches = store.search_matches(request.terms, request.filters, limit=CANDIDATES)
    similarity: dict[int, float] = {}
    if embedder is not None and matches:
        words = " ".join(p for group in request.terms.groups for p in group)
        try:
            model = embedder()
            if model is not None:
                similarity = _similarities(store, model, words, [m.article_id for m in matches[:RERANK]])
        except StorylineError as exc:  # no embedder, or it failed: the words' order stands
            log.warning("search_rerank_failed", error=str(exc))
    ranked = rerank(matches, similarity)
    grouped: dict[object, list[tuple[SearchMatch, float]]] = {}
    for match, score in ranked:
        key = match.story_id if match.story_id is not None else ("article", match.article_id)
        grouped.setdefault(key, []).append((match, score))
    start = (request.page - 1) * GROUPS_PER_PAGE
    page_groups = list(grouped.values())[start : start + GROUPS_PER_PAGE]
    shown = [pair for group in page_groups for pair in group[:HITS_PER_GROUP]]
    articles = {a.id: a for a in store.get_articles([m.article_id for m, _ in shown])}
    pattern = word_pattern(request.terms)
    story_ids = [g[0][0].story_id for g in page_groups if g[0][0].story_id is not None]
    stats = {s.story_id: s for s in store.story_stats(since=datetime.min.replace(tzinfo=UTC),
                                                      recent_since=datetime.now(UTC), story_ids=story_ids)
             } if story_ids else {}
    leads = {a.id: a for a in store.get_articles([s.lead_article_id for s in stats.values()
                                                   if s.lead_article_id is not None])}
    groups: list[SearchGroup] = []
    for group in page_groups:
        hits = []
        for match, score in group[:HITS_PER_GROUP]:
            article = articles.get(match.article_id)
            if article is None:  # deleted since the match: left out
                continue
            hits.append(SearchHit(article, marked(article.title, pattern), passage(article.text, pattern), score,
                                  similarity.get(article.id)))
        if not hits:
            continue
        story = stats.get(group[0][0].story_id) if group[0][0].story_id is not None else None
        lead = leads.get(story.lead_article_id) if story and story.lead_article_id is not None else None
        groups.append(SearchGroup(
            story_id=story.story_id if story else None, title=lead.title if lead else hits[0].article.title,
            hits=tuple(hits), more=max(0, len(group) - HITS_PER_GROUP),
            articles=story.articles if story else 1, outlets=story.outlets if story else 1))
    return SearchResults(request, tuple(groups), len(matches), len(matches) >= CANDIDATES,
                         start + GROUPS_PER_PAGE < len(grouped), bool(similarity), entity, request.notices)
