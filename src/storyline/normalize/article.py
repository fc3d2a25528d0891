"""An extracted article into the :class:`Article` the store keeps."""

from __future__ import annotations

from datetime import UTC, datetime

from storyline.errors import ExtractError
from storyline.normalize.text import clean_line, clean_text, hash_and_count
from storyline.normalize.urls import canonical_url
from storyline.types import Article, ExtractedArticle

# An article without a URL (a text file, a record without "url") is keyed by its content,
# so importing it twice still gives one article.
CONTENT_URL_PREFIX = "urn:storyline:content:"


def normalize_article(item: ExtractedArticle) -> Article:
    """Clean text and title, canonical URL (or a content key), UTC time, hash, word count."""
    text = clean_text(item.text)
    title = clean_line(item.title)
    if not text:
        raise ExtractError(item.origin, "the article has no text after clean-up")
    digest, word_count = hash_and_count(text)
    # The page's own canonical URL (same site only, checked at extraction) names the
    # article better than the address it was fetched from (tracking, AMP, mobile hosts).
    canonical = next(
        (c for c in (canonical_url(u) for u in (item.canonical_url, item.url) if u) if c), None
    )
    published = _as_utc(item.published) if item.published else None
    return Article(
        canonical_url=canonical or CONTENT_URL_PREFIX + digest[:32],
        url=item.url if canonical else None,
        title=title or clean_line(text.split("\n", 1)[0])[:300],
        text=text,
        content_hash=digest,
        outlet=clean_line(item.outlet) if item.outlet else None,
        published=published,
        authors=tuple(dict.fromkeys(clean_line(a) for a in item.authors if a.strip())),
        language=item.language,
        word_count=word_count,
        is_sample=item.is_sample,
        licence=item.licence,
        description=clean_line(item.description) if item.description else None,
        modified=_as_utc(item.updated) if item.updated else None,
        image=item.image,
        body_html=item.body_html,
        credits=item.credits,
        dateline=item.dateline,
    )


def _as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time without a zone is taken as UTC, as the parse stage does.

    (``astimezone`` would read it in the server's local zone, so the same input would be
    stored at different instants on different machines.)
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
