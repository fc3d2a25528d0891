"""Turn a raw item into an :class:`ExtractedArticle`.

Order, for an item with HTML:

1. trafilatura extracts the main text and the page's metadata (title, authors, date,
   site name, language, canonical URL);
2. what the item itself carries (a feed's or record's title, URL, outlet, date) wins over
   what the page says, because it was given on purpose;
3. an item with text and no HTML only has its text cleaned.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from storyline.errors import ExtractError
from storyline.types import ExtractedArticle, RawItem

# Pages above this size are cut before parsing: a news article is never this long, and
# an unbounded page would hold a worker for minutes.
MAX_HTML_CHARS = 5_000_000
_TITLE_MAX = 300


def extract_article(item: RawItem) -> ExtractedArticle:
    """The article in ``item``; raises ExtractError when there is no text to keep."""
    if item.html is not None and not item.text:
        return _from_html(item)
    text = (item.text or "").strip()
    if not text:
        raise ExtractError(item.origin, "no text in the item")
    title = (item.title or "").strip() or _title_from_text(text)
    return ExtractedArticle(
        origin=item.origin, title=title, text=text, url=item.url, outlet=item.outlet,
        published=item.published, authors=item.authors, is_sample=item.is_sample,
        licence=item.licence,
    )


def _title_from_text(text: str) -> str:
    first_line = text.strip().splitlines()[0].strip()
    if len(first_line) <= _TITLE_MAX:
        return first_line
    return first_line[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"


def _from_html(item: RawItem) -> ExtractedArticle:
    import trafilatura  # imported here: it takes ~1 s and only HTML inputs need it

    html = (item.html or "")[:MAX_HTML_CHARS]
    try:
        doc: Any = trafilatura.bare_extraction(
            html, url=item.url, with_metadata=True, include_comments=False,
            include_tables=False, favor_precision=False,
        )
    except Exception as exc:
        raise ExtractError(item.origin, f"the HTML could not be parsed ({type(exc).__name__})") from exc
    if doc is None:
        raise ExtractError(item.origin, "no article text found in the page")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    if not text:
        raise ExtractError(item.origin, "no article text found in the page")
    title = item.title or (data.get("title") or "").strip() or _title_from_text(text)
    text = _without_leading_title(text, title)
    authors = item.authors or _split_authors(data.get("author"))
    return ExtractedArticle(
        origin=item.origin,
        title=title,
        text=text,
        url=item.url or data.get("url") or None,
        outlet=item.outlet or data.get("sitename") or data.get("hostname") or None,
        published=item.published or _page_date(data.get("date")),
        authors=authors,
        language=data.get("language") or None,
        is_sample=item.is_sample,
        licence=item.licence,
    )


def _without_leading_title(text: str, title: str) -> str:
    """``text`` without a first line that repeats the title (the page's <h1>).

    Extraction keeps the heading as the first line of text; shown under the title, it
    would print the title twice.
    """
    first, _, rest = text.partition("\n")
    if rest.strip() and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.strip()
    return text


def _split_authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(a.strip() for a in re.split(r";|\band\b", value) if a.strip())


def _page_date(value: str | None) -> datetime | None:
    """trafilatura gives a day (YYYY-MM-DD); keep it as midnight UTC of that day."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None
