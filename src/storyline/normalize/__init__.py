"""Normalize stage: canonical URL, clean text, UTC times, content hash."""

from storyline.normalize.article import normalize_article
from storyline.normalize.text import clean_text, content_hash
from storyline.normalize.urls import canonical_url

__all__ = ["canonical_url", "clean_text", "content_hash", "normalize_article"]
