"""What readers see, assembled from the store: ranked stories, story pages, copy credits.

The web app, the API and the CLI share these through the application object.
"""

from storyline.reading.articles import ArticleView, article_view
from storyline.reading.copies import syndication_of
from storyline.reading.entities import EntityStory, EntityView, entity_view
from storyline.reading.ranking import rank_stories
from storyline.reading.stories import Report, StoryCard, StoryView, home_stories, story_view

__all__ = [
    "ArticleView",
    "EntityStory",
    "EntityView",
    "Report",
    "StoryCard",
    "StoryView",
    "article_view",
    "entity_view",
    "home_stories",
    "rank_stories",
    "story_view",
    "syndication_of",
]
