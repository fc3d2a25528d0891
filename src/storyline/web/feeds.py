"""Outgoing feeds: RSS 2.0, Atom and JSON Feed 1.1 of the top stories, a story, and an entity.

Every feed comes in the three formats at the page's address plus ``/feed.xml`` (RSS),
``/feed.atom`` and ``/feed.json`` (``/feed.xml`` alone for the home page). RSS and Atom are
written by ``feedgen``; JSON Feed is plain JSON by its 1.1 specification.

Links are absolute when the ``base_url`` setting says where readers reach this Storyline,
and root-relative otherwise: nothing is built from the request's Host header (a client
can send any), and feed readers resolve relative links against the feed's own address.
Item ids are stable URNs (``urn:storyline:story:12``), so a reader that moved between
addresses does not see every item again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import RedirectResponse
from feedgen.feed import FeedGenerator

from storyline import __version__
from storyline.api.schemas import RecordId, excerpt
from storyline.app import MovedStory, Storyline
from storyline.web.render import paragraphs

__all__ = ["Feed", "FeedItem", "router"]

router = APIRouter(include_in_schema=False)

Format = Annotated[Literal["xml", "atom", "json"],
                   Path(description="xml: RSS 2.0, atom: Atom 1.0, json: JSON Feed 1.1")]
MEDIA_TYPES = {"xml": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed."""

    id: str  # a stable URN
    title: str
    path: str  # the page it links to, from the site's root
    summary: str
    updated: datetime | None
    published: datetime | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed: what it is of, the page it mirrors, its entries newest first."""

    id: str
    title: str
    path: str  # the page
    feed_path: str  # this feed without its extension (".xml", ".atom", ".json" are added)
    description: str
    items: Sequence[FeedItem]


def _storyline(request: Request) -> Storyline:
    return request.app.state.storyline


def _base(request: Request) -> str:
    return _storyline(request).settings.base_url.rstrip("/")


def _updated(feed: Feed) -> datetime:
    return max((i.updated or i.published or _EPOCH for i in feed.items), default=_EPOCH)


def rss(feed: Feed, base: str) -> bytes:
    """``feed`` as RSS 2.0."""
    generator = _generator(feed, base, "xml")
    return generator.rss_str(pretty=True)


def atom(feed: Feed, base: str) -> bytes:
    """``feed`` as Atom 1.0."""
    generator = _generator(feed, base, "atom")
    return generator.atom_str(pretty=True)


def _generator(feed: Feed, base: str, fmt: str) -> FeedGenerator:
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(feed.title)
    generator.description(feed.description)
    generator.subtitle(feed.description)
    # Self first: feedgen's RSS <link> is the last link given, which must be the page.
    generator.link(href=f"{base}{feed.feed_path}.{fmt}", rel="self")
    generator.link(href=base + feed.path, rel="alternate")
    generator.generator("Storyline", version=__version__)
    generator.language("en")
    generator.updated(_updated(feed))
    for item in reversed(feed.items):  # feedgen puts each new entry first
        entry = generator.add_entry()
        entry.id(item.id)
        entry.guid(item.id, permalink=False)
        entry.title(item.title)
        entry.link(href=base + item.path)
        entry.summary(item.summary or item.title)
        entry.description(item.summary or item.title)
        entry.updated(item.updated or item.published or _EPOCH)
        if item.published is not None:
            entry.published(item.published)
        if item.author and fmt == "atom":  # RSS's <author> must be an e-mail address: left out there
            entry.author(name=item.author)
    return generator


def json_feed(feed: Feed, base: str) -> dict[str, Any]:
    """``feed`` as JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    items = []
    for item in feed.items:
        entry: dict[str, Any] = {"id": item.id, "url": base + item.path, "title": item.title,
                                 "content_text": item.summary or item.title}
        if item.published is not None:
            entry["date_published"] = item.published.isoformat()
        if item.updated is not None:
            entry["date_modified"] = item.updated.isoformat()
        if item.author:
            entry["authors"] = [{"name": item.author}]
        items.append(entry)
    return {"version": "https://jsonfeed.org/version/1.1", "title": feed.title, "home_page_url": base + feed.path,
            "feed_url": f"{base}{feed.feed_path}.json", "description": feed.description, "language": "en",
            "items": items}


def _respond(request: Request, feed: Feed, fmt: str) -> Response:
    base = _base(request)
    if fmt == "json":
        body = json.dumps(json_feed(feed, base), ensure_ascii=False).encode("utf-8")
    else:
        body = rss(feed, base) if fmt == "xml" else atom(feed, base)
    return Response(body, media_type=MEDIA_TYPES[fmt] + "; charset=utf-8")


def _text(text: str, title: str) -> str:
    return excerpt(" ".join(paragraphs(text, title)), 400)


def home_feed(app: Storyline) -> Feed:
    """The top stories, as the home page ranks them."""
    cards, _ = app.top_stories(1)
    items = [FeedItem(f"urn:storyline:story:{c.story_id}", c.lead.title, f"/stories/{c.story_id}",
                      _text(c.lead.text, c.lead.title), c.stats.last_seen, c.stats.first_seen,
                      ", ".join(c.outlets[:3]) or None) for c in cards]
    items.sort(key=lambda i: i.updated or _EPOCH, reverse=True)
    return Feed("urn:storyline:top", "Storyline: top stories", "/", "/feed",
                "The stories most outlets are covering now, one entry per story.", items)


def story_feed(app: Storyline, story_id: int) -> Feed | MovedStory | None:
    """A story's reports, newest first (copies folded under their original)."""
    found = app.find_story(story_id)
    if found is None or isinstance(found, MovedStory):
        return found
    items = [FeedItem(f"urn:storyline:article:{r.article.id}", r.article.title, f"/articles/{r.article.id}",
                      _text(r.article.text, r.article.title), r.article.shown_time, r.article.published,
                      ", ".join(r.outlets) or None) for r in found.reports]
    return Feed(f"urn:storyline:story:{story_id}", f"Storyline: {found.title}", f"/stories/{story_id}",
                f"/stories/{story_id}/feed", f"Every outlet's report of “{found.title}”, newest first.", items)


def entity_feed(app: Storyline, entity_id: int) -> Feed | None:
    """The stories naming an entity, latest first."""
    view = app.entity(entity_id)
    if view is None:
        return None
    items = [FeedItem(f"urn:storyline:story:{s.story_id}", s.lead.title, f"/stories/{s.story_id}",
                      _text(s.lead.text, s.lead.title), s.stats.last_seen, s.stats.first_seen, s.lead.outlet)
             for s in view.stories]
    name = view.entity.name
    return Feed(f"urn:storyline:entity:{entity_id}", f"Storyline: {name}", f"/entities/{entity_id}",
                f"/entities/{entity_id}/feed", f"Stories that name {name}, latest first.", items)


@router.get("/feed.{fmt}")
def home_feed_route(request: Request, fmt: Format) -> Response:
    return _respond(request, home_feed(_storyline(request)), fmt)


@router.get("/stories/{story_id}/feed.{fmt}", response_model=None)
def story_feed_route(request: Request, story_id: RecordId, fmt: Format) -> Response:
    feed = story_feed(_storyline(request), story_id)
    if isinstance(feed, MovedStory):
        return RedirectResponse(f"/stories/{feed.story_id}/feed.{fmt}", status_code=301)
    if feed is None:
        raise HTTPException(status_code=404, detail=f"There is no story with id {story_id}.")
    return _respond(request, feed, fmt)


@router.get("/entities/{entity_id}/feed.{fmt}")
def entity_feed_route(request: Request, entity_id: RecordId, fmt: Format) -> Response:
    feed = entity_feed(_storyline(request), entity_id)
    if feed is None:
        raise HTTPException(status_code=404, detail=f"There is no person, organisation or place with id {entity_id}.")
    return _respond(request, feed, fmt)
