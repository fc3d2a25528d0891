"""What moves between ingest's steps: a prepared item, and a newly stored article."""

from __future__ import annotations

from dataclasses import dataclass

from storyline.dedupe import Signature
from storyline.types import Article, ItemFailure

__all__ = ["NewArticle", "Prepared", "PreparedArticle"]


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An article ready to store, with the input it came from and the page to keep."""

    origin: str
    article: Article
    page_html: str | None = None
    guid: str | None = None  # the feed item's id, remembered against the stored article
    signature: Signature | None = None  # made where it was prepared (a worker), for the copies stage


# One item after the per-item stages: its article (and related ones found with it), or why it failed.
Prepared = list[PreparedArticle] | ItemFailure


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article a batch inserted, as the stored stages receive it."""

    article_id: int
    article: Article
    signature: Signature | None = None
