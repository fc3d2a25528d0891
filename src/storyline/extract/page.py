"""An HTML page into an :class:`ExtractedArticle`: metadata, body, credits, language."""

from __future__ import annotations

from datetime import datetime

import nh3

from storyline.errors import ExtractError
from storyline.extract.body import extract_body, word_count
from storyline.extract.credits import find_credits, find_dateline
from storyline.extract.guard import parse_html, time_limit, usable_html
from storyline.extract.language import detect_language
from storyline.extract.metadata import page_metadata, url_date
from storyline.types import ExtractedArticle

# Tags kept in the sanitised body HTML shown to readers.
_SAFE_TAGS = {"p", "br", "h2", "h3", "ul", "ol", "li", "blockquote", "em", "strong", "a"}


def extract_page(
    page_html: str,
    *,
    origin: str,
    url: str | None = None,
    feed_published: datetime | None = None,
) -> ExtractedArticle:
    """The article on an HTML page; raises ExtractError when there is none."""
    with time_limit(origin):
        tree = parse_html(page_html, origin)
        meta = page_metadata(tree, url)
        # The cut page, not the whole: readability parses the text it is given once more.
        body = extract_body(tree, usable_html(page_html), url=url, title=meta.title,
                            json_ld_body=meta.json_ld_body)
    text = body.text
    if word_count(text) == 0:
        raise ExtractError(origin, "no article text found in the page")
    dateline = find_dateline(text)
    # Publication time, in the order written in storyline.extract.metadata.
    published = meta.published or feed_published or url_date(url or meta.canonical_url)
    return ExtractedArticle(
        origin=origin,
        title=meta.title or text.split("\n", 1)[0][:300],
        text=text,
        url=url or meta.canonical_url,
        outlet=meta.site_name,
        published=published,
        authors=meta.authors,
        language=detect_language(text, hint=meta.language),
        description=meta.description,
        updated=meta.updated,
        canonical_url=meta.canonical_url,
        image=meta.image,
        body_html=nh3.clean(body.html, tags=_SAFE_TAGS, attributes={"a": {"href"}}),
        credits=find_credits(text),
        dateline=dateline.place if dateline else None,
    )
