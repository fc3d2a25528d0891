"""One article as readers see it: its story, its group of copies and its earlier versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storyline.dedupe import SyndicationGroup
from storyline.reading.copies import syndication_of
from storyline.store import ArticleStore, CopyStore, StoryStore
from storyline.types import ArticleRevision, StoredArticle

__all__ = ["ArticleView", "article_view"]


class ArticleReadStore(ArticleStore, CopyStore, StoryStore, Protocol):
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


def article_view(store: ArticleReadStore, article_id: int) -> ArticleView | None:
    """The page of ``article_id``; None when there is no such article."""
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
    )
