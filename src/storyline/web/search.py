"""The search page (/search) and the RSS feed of a search (/search/feed.xml)."""

from __future__ import annotations

import re
from email.utils import format_datetime
from typing import Annotated
from urllib.parse import urlencode
from xml.sax.saxutils import escape as _escape

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from storyline.api.schemas import excerpt, marked_html, plain
from storyline.app import SearchRequest, SearchResults, Storyline
from storyline.errors import InputError
from storyline.web.render import render, templates

router = APIRouter(include_in_schema=False)

# The parameters of a search, as the page and the feed take them (all text, checked by the app).
_FIELDS = ("q", "outlet", "from", "to", "entity", "lang")
FEED_ITEMS = 30
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _storyline(request: Request) -> Storyline:
    return request.app.state.storyline


def _given(request: Request) -> dict[str, str]:
    """The search's parameters as the reader gave them (empty ones dropped), to refill the form."""
    found: dict[str, str] = {}
    for name in _FIELDS:
        value = request.query_params.get(name)
        if value is not None and value.strip():
            found[name] = value[:400]  # echoed into the form: a 10,000-character query is not sent back
    return found


def _check(request: Request, page: str | None) -> SearchRequest:
    params = request.query_params
    return _storyline(request).search_request(
        params.get("q"), outlet=params.get("outlet"), since=params.get("from"), until=params.get("to"),
        entity=params.get("entity"), lang=params.get("lang"), page=page)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, page: Annotated[str | None, Query()] = None) -> HTMLResponse:
    """Results grouped by story; a parameter that is not valid shows the form with what is wrong (422)."""
    given = _given(request)
    context: dict[str, object] = {"nav": "search", "given": given, "results": None, "error": None}
    try:
        checked = _check(request, page)
        results = _storyline(request).search(checked)
    except InputError as exc:
        context["error"] = exc
        return render(request, "search.html", context, status_code=422)
    query = urlencode(given)
    context.update({
        "results": results,
        "query_string": query,
        "feed_url": f"/search/feed.xml?{query}" if not checked.is_empty else None,
        "page": checked.page,
        "prev_url": f"/search?{urlencode({**given, 'page': checked.page - 1})}" if checked.page > 1 else None,
        "next_url": f"/search?{urlencode({**given, 'page': checked.page + 1})}" if results.has_next else None,
        "show_sample_credit": any(h.article.is_sample for g in results.groups for h in g.hits),
    })
    return render(request, "search.html", context)


@router.get("/search/feed.xml")
def search_feed(request: Request) -> Response:
    """RSS 2.0 of a search's best matching articles (a group's hits in turn), for a feed reader to follow."""
    try:
        checked = _check(request, None)
        if checked.is_empty:
            raise InputError("q", "there is nothing to search for", hint="Give some words in q.")
        results = _storyline(request).search(checked)
    except InputError as exc:
        return Response(f"{exc}\n", status_code=422, media_type="text/plain; charset=utf-8")
    return Response(_rss(_storyline(request).settings.base_url, _given(request), results),
                    media_type="application/rss+xml; charset=utf-8")


def _rss(base: str, given: dict[str, str], results: SearchResults) -> str:
    query = urlencode(given)
    items = [hit for group in results.groups for hit in group.hits][:FEED_ITEMS]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n',
        f"<title>{escape('Storyline search: ' + results.request.query)}</title>\n",
        f"<link>{escape(f'{base}/search?{query}')}</link>\n",
        f"<description>{escape(f'Articles matching {results.request.query!r}, best first.')}</description>\n",
    ]
    for hit in items:
        article = hit.article
        link = f"{base}/articles/{article.id}"
        parts.append(
            "<item>"
            f"<title>{escape(article.title)}</title>"
            f"<link>{escape(link)}</link>"
            f'<guid isPermaLink="false">storyline-article-{article.id}</guid>'
            f"<pubDate>{format_datetime(article.shown_time)}</pubDate>"
            f"<description>{escape(plain(hit.passage) or excerpt(article.text))}</description>"
            "</item>\n")
    parts.append("</channel>\n</rss>\n")
    return "".join(parts)


def _marked(pieces: tuple[tuple[str, bool], ...]) -> Markup:
    """For the template: escaped text with <mark> around matches (see ``api.schemas.marked_html``)."""
    return Markup(marked_html(pieces))


templates.env.filters["marked"] = _marked


def escape(text: str) -> str:
    """Text for XML: characters XML 1.0 cannot hold dropped, the rest escaped."""
    return _escape(_NOT_XML.sub("", text))
