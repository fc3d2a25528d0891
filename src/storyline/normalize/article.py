"""An extracted article into the :class:`Article` the store keeps."""

from __future__ import annotations

from datetime import UTC

from storyline.errors import ExtractError
from storyline.normalize.text import clean_line, clean_text, content_hash, words
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
    digest = content_hash(text)
    canonical = canonical_url(item.url) if item.url else None
    published = item.published.astimezone(UTC) if item.published else None
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
        word_count=len(words(text)),
        is_sample=item.is_sample,
        licence=item.licence,
    )
