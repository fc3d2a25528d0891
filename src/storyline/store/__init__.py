"""Persistence: the store protocols, one per entity, and their SQLAlchemy implementation (SQLite, PostgreSQL)."""

from storyline.store.protocol import (
    ArticleStore,
    CheckpointStore,
    CopyStore,
    EmbeddingStore,
    EntityStore,
    PageStore,
    SearchStore,
    SourceStore,
    Store,
    StoryStore,
    SummaryStore,
)
from storyline.store.sql import SQLStore, open_store

__all__ = [
    "ArticleStore",
    "CheckpointStore",
    "CopyStore",
    "EmbeddingStore",
    "EntityStore",
    "PageStore",
    "SQLStore",
    "SearchStore",
    "SourceStore",
    "Store",
    "StoryStore",
    "SummaryStore",
    "open_store",
]
