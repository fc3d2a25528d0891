"""Extract stage: a raw item (HTML page or text) into an article's clean text and metadata."""

from storyline.extract.article import extract_article

__all__ = ["extract_article"]
