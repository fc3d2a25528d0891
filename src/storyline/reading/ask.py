"""Asking a stored story a question: its reports' sentences (copies left out) answered by ``summarize.ask``.

An article's question is asked of its story (every outlet's report, not only the page the reader
is on); an article without a story (stories off, or not assigned yet) is asked alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from storyline.store import ArticleStore, CopyStore, StoryStore
from storyline.summarize.ask import Answer, answer, story_sentences
from storyline.summarize.llm import Endpoint
from storyline.summarize.matrix import Report
from storyline.summarize.story import TermsCache, reports_of
from storyline.types import StoredArticle

__all__ = ["StoryAnswer", "ask_article", "ask_story"]


class AskReadStore(ArticleStore, CopyStore, StoryStore, Protocol):
    """What asking reads: a story's articles and which of them are copies."""


@dataclass(frozen=True, slots=True)
class StoryAnswer:
    """A question, the story (or lone article) it was asked of, and the answer with its citations."""

    question: str
    answer: Answer
    story_id: int | None  # None: an article without a story, asked alone
    articles: dict[int, StoredArticle] = field(default_factory=dict)  # the cited ones, for their outlets

    def article(self, article_id: int | str) -> StoredArticle | None:
        """The cited article ``article_id`` (outlet, title), or None."""
        return self.articles.get(article_id) if isinstance(article_id, int) else None


def _asked(store: AskReadStore, articles: Sequence[StoredArticle], question: str, story_id: int | None,
           cache: TermsCache, endpoint: Endpoint | None) -> StoryAnswer:
    chosen = reports_of(articles, store.copied_from([a.id for a in articles]))
    reports = [Report(a.id, a.shown_time, cache.get(a)) for a in chosen]
    given = answer(question, story_sentences(reports), endpoint=endpoint)
    cited = {c.article for s in given.sentences for c in s.cites}
    return StoryAnswer(question, given, story_id, {a.id: a for a in articles if a.id in cited})


def ask_story(store: AskReadStore, story_id: int, question: str, cache: TermsCache,
              endpoint: Endpoint | None = None) -> StoryAnswer | None:
    """``question`` (already cleaned) asked of the story ``story_id`` (resolved); None when it has no articles."""
    articles = store.story_articles(story_id)
    if not articles:
        return None
    return _asked(store, articles, question, story_id, cache, endpoint)


def ask_article(store: AskReadStore, article_id: int, question: str, cache: TermsCache,
                endpoint: Endpoint | None = None) -> StoryAnswer | None:
    """``question`` asked of the story of ``article_id`` (of the article alone without one); None: no such article."""
    article = store.get_article(article_id)
    if article is None:
        return None
    story = store.stories_of([article_id]).get(article_id)
    current = store.resolve_story(story) if story is not None else None
    if current is not None:
        found = ask_story(store, current, question, cache, endpoint)
        if found is not None:
            return found
    return _asked(store, [article], question, None, cache, endpoint)
