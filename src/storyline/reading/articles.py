"""One article as readers see it: its story, its group of copies and its earlier versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storyline.dedupe import SyndicationGroup
from storyline.reading.copies import syndication_of
from storyline.store import ArticleStore, CopyStore, StoryStore, SummaryStore
from storyline.summarize import split_sentences
from storyline.types import ArticleRevision, StoredArticle, SummarySentence

__all__ = ["ArticleView", "article_view"]


class ArticleReadStore(ArticleStore, CopyStore, StoryStore, SummaryStore, Protocol):
    """What an article page reads."""


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article with its story, the copies it belongs to (original first) and its revisions."""

    article: StoredArticle
    story_id: int | None
    group: SyndicationGroup | None
    original: StoredArticle | None  # the group's original, when the article is in a group
    others: tuple[StoredArticle, ...]  # the group's other articles, oldest first
    revisions: tuple[ArticleRevision, ...]
    key_points: tuple[SummarySentence, ...] = ()
    cited: str | None = None  # the sentence a citation pointed at, to highlight


def article_view(store: ArticleReadStore, article_id: int, *, sentence: int | None = None) -> ArticleView | None:
    """The page of ``article_id`` (``sentence``: the one a citation points at); None when there is no such article."""
    article = store.get_article(article_id)
    if article is None:
        return None
    group = syndication_of(store, article_id)
    members = {str(a.id): a for a in store.group_members(article_id)} if group else {}
    return ArticleView(
        article=article,
        story_id=store.stories_of([article_id]).get(article_id),
        group=group,
        original=members.get(group.original_id) if group else None,
        others=tuple(a for key, a in members.items() if key != str(article_id)),
        revisions=tuple(store.article_revisions(article_id)),
        key_points=tuple(store.key_points(article_id)),
        cited=_sentence(article.text, sentence),
    )


def _sentence(text: str, index: int | None) -> str | None:
    if index is None or index < 0:
        return None
    sentences = split_sentences(text)
    return sentences[index].text if index < len(sentences) else None
