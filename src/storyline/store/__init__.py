"""Persistence: the Store protocol and its SQLAlchemy implementation (SQLite, PostgreSQL)."""

from storyline.store.protocol import Store
from storyline.store.sql import SQLStore, open_store

__all__ = ["SQLStore", "Store", "open_store"]
