"""An entity's page: the person, organisation or place, and the stories that mention it, latest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from storyline.store import ArticleStore, EntityStore, StoryStore
from storyline.types import StoredArticle, StoredEntity, StoryStats

__all__ = ["EntityStory", "EntityView", "entity_view"]

# An entity page reads at most this many of its latest articles (a page, not an archive).
MAX_ARTICLES = 300
MAX_STORIES = 50


class EntityReadStore(ArticleStore, EntityStore, StoryStore, Protocol):
    """What an entity page reads."""


@dataclass(frozen=True, slots=True)
class EntityStory:
    """A story that mentions the entity: its coverage, its lead report, and how many of its articles name it."""

    stats: StoryStats
    lead: StoredArticle
    mentions: int  # articles of the story naming the entity (among those read)

    @property
    def story_id(self) -> int:
        return self.stats.story_id


@dataclass(frozen=True, slots=True)
class EntityView:
    """One entity's page: the stories naming it, latest first, and its articles not yet in a story."""

    entity: StoredEntity
    stories: tuple[EntityStory, ...]
    unassigned: tuple[StoredArticle, ...]


def entity_view(store: EntityReadStore, entity_id: int) -> EntityView | None:
    """The page of entity ``entity_id``, or None when there is no such entity."""
    entity = store.get_entity(entity_id)
    if entity is None:
        return None
    found = store.entity_articles(entity_id, limit=MAX_ARTICLES)
    story_of = store.stories_of([a.id for a in found])
    mentions: dict[int, int] = {}
    for article in found:
        story = story_of.get(article.id)
        if story is not None:
            mentions[story] = mentions.get(story, 0) + 1
    stats = store.story_stats(since=datetime.min.replace(tzinfo=UTC), recent_since=datetime.now(UTC),
                              story_ids=sorted(mentions)) if mentions else []
    stories = []
    for story in sorted(stats, key=lambda s: (s.last_seen, s.story_id), reverse=True)[:MAX_STORIES]:
        lead = store.get_article(story.lead_article_id) if story.lead_article_id is not None else None
        if lead is not None:
            stories.append(EntityStory(story, lead, mentions[story.story_id]))
    unassigned = tuple(a for a in found if a.id not in story_of)[:20]
    return EntityView(entity, tuple(stories), unassigned)
