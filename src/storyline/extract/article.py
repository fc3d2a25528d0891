"""Turn a raw item into an :class:`ExtractedArticle`.

Which extractor runs:

1. an item with HTML (and no text): the page extractor (``storyline.extract.page``);
2. an item whose text is a scraped aggregator page (``textdump.looks_like_text_dump``):
   the text-dump extractor, which also returns the page's related articles;
3. any other text: cleaned as it is, with its dateline and agency credits read.

What the item itself carries (a feed's or record's title, URL, outlet, authors) wins over
what the page says, because it was given on purpose. Publication times follow the order
in ``storyline.extract.metadata`` (the page's structured data before the feed's date).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from storyline.errors import ExtractError
from storyline.extract.credits import find_credits, find_dateline
from storyline.extract.fragment import fragment_text, safe_fragment_html
from storyline.extract.language import detect_language
from storyline.extract.page import extract_page
from storyline.extract.textdump import extract_text_dump, looks_like_text_dump
from storyline.types import ExtractedArticle, RawItem

_TITLE_MAX = 300


def extract_article(item: RawItem) -> ExtractedArticle:
    """The article in ``item``; raises ExtractError when there is no text to keep."""
    if item.html is not None and item.html_is_fragment and not item.text:
        return _from_fragment(item)
    if item.html is not None and not item.text:
        page = extract_page(item.html, origin=item.origin, url=item.url, feed_published=item.published)
        return _with_given_fields(page, item)
    text = (item.text or "").strip()
    if not text:
        raise ExtractError(item.origin, "no text in the item")
    if looks_like_text_dump(text):
        captured_at = item.captured_at or datetime.now(UTC)
        dump = extract_text_dump(text, origin=item.origin, captured_at=captured_at)
        return _with_given_fields(dump, item)
    title = (item.title or "").strip() or _title_from_text(text)
    text = _without_leading_title(text, title)
    if not text.strip():
        raise ExtractError(item.origin, "only a title, no article text")
    dateline = find_dateline(text)
    return ExtractedArticle(
        origin=item.origin, title=title, text=text, url=item.url, outlet=item.outlet,
        published=item.published, authors=item.authors, is_sample=item.is_sample,
        licence=item.licence, language=detect_language(text), credits=find_credits(text),
        dateline=dateline.place if dateline else None,
    )


def _from_fragment(item: RawItem) -> ExtractedArticle:
    """A feed item with full content: clean its HTML, no page extraction needed."""
    text = fragment_text(item.html or "", item.origin)
    title = (item.title or "").strip() or _title_from_text(text)
    text = _without_leading_title(text, title)
    dateline = find_dateline(text)
    return ExtractedArticle(
        origin=item.origin, title=title, text=text, url=item.url, outlet=item.outlet,
        published=item.published, updated=item.updated, authors=item.authors, is_sample=item.is_sample,
        licence=item.licence, language=detect_language(text), credits=find_credits(text),
        dateline=dateline.place if dateline else None, image=item.image,
        description=item.summary if item.summary and item.summary != item.html else None,
        body_html=safe_fragment_html(item.html or ""),
    )


def _with_given_fields(found: ExtractedArticle, item: RawItem) -> ExtractedArticle:
    return dataclasses.replace(
        found,
        title=(item.title or "").strip() or found.title,
        url=item.url or found.url,
        outlet=item.outlet or found.outlet,
        authors=item.authors or found.authors,
        is_sample=item.is_sample,
        licence=item.licence,
    )


def _title_from_text(text: str) -> str:
    first_line = text.strip().splitlines()[0].strip().lstrip("#").strip()
    if len(first_line) <= _TITLE_MAX:
        return first_line
    return first_line[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"


def _without_leading_title(text: str, title: str) -> str:
    """``text`` without a first line that repeats the title (it would print twice)."""
    first, _, rest = text.partition("\n")
    first = first.strip().lstrip("#")
    if rest.strip() and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.strip()
    return text
