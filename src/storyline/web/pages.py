"""HTML pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from storyline.api.schemas import FETCHED_KINDS, RecordId, excerpt
from storyline.app import MAX_QUESTION, MovedStory, Storyline, StoryView
from storyline.errors import InputError
from storyline.types import TimelineEntry
from storyline.web.render import paragraphs, render
from storyline.web.visits import last_visit, remember_visit

router = APIRouter(include_in_schema=False)


def _storyline(request: Request) -> Storyline:
    return request.app.state.storyline


@router.get("/", response_class=HTMLResponse)
def home(request: Request, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    app = _storyline(request)
    cards, has_next = app.top_stories(page)
    if not cards and page > 1:
        raise HTTPException(status_code=404, detail=f"There is no page {page} of stories.")
    if not cards and app.count_articles():
        return latest(request, page)  # articles but no stories yet (stories turned off, say)
    return render(request, "stories.html", {
        "cards": cards,
        "excerpts": {c.story_id: excerpt(" ".join(paragraphs(c.lead.text, c.lead.title)), 240) for c in cards},
        "page": page,
        "has_next": has_next,
        "nav": "top",
        "show_sample_credit": any(c.lead.is_sample for c in cards),
        "feed_path": "/feed",
        "feed_title": "Top stories",
        # The first page offers stories made after it was shown (static/app.js asks /api/stories/new).
        "live": _live(app) if page == 1 else None,
    })


def _live(app: Storyline) -> dict[str, object] | None:
    seconds = app.settings.live_updates_seconds
    return {"newest": app.newest_story(), "seconds": seconds} if seconds > 0 else None


# A question asked on a story or article page (``?q=``): the form is a GET, so answers have addresses.
AskParam = Annotated[str | None, Query(description="A question to ask the story.")]


def _asked(request: Request, q: str | None, *, story_id: int | None = None, article_id: int | None = None
           ) -> dict[str, object]:
    """The ask box's part of a page: the question, its answer, or why it was not asked."""
    if q is None or not q.strip():
        return {"question": "", "asked": None, "ask_error": None, "max_question": MAX_QUESTION}
    app = _storyline(request)
    try:
        asked = app.ask(story_id, q) if story_id is not None else app.ask_article(article_id or 0, q)
    except InputError as exc:
        return {"question": q[:MAX_QUESTION], "asked": None, "ask_error": exc.message, "max_question": MAX_QUESTION}
    return {"question": asked.question if asked else q, "asked": asked, "ask_error": None,
            "max_question": MAX_QUESTION}


@router.get("/stories/{story_id}", response_class=HTMLResponse, response_model=None)
def story_page(request: Request, story_id: RecordId, q: AskParam = None) -> HTMLResponse | RedirectResponse:
    view = _storyline(request).find_story(story_id)
    if isinstance(view, MovedStory):  # merged into another story: its address moved for good (a question with it)
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/stories/{view.story_id}{query}", status_code=301)
    if view is None:
        raise HTTPException(status_code=404, detail=f"There is no story with id {story_id}.")
    visit = last_visit(request, view.story_id)
    response = render(request, "story.html", {
        "story": view,
        "show_sample_credit": view.lead.is_sample,
        "feed_path": f"/stories/{view.story_id}/feed",
        "feed_title": view.title,
        "last_visit": visit,
        "new_entries": new_since(view, visit),
        **_asked(request, q, story_id=story_id),
    })
    remember_visit(request, response, view.story_id,
                   secure=_storyline(request).settings.base_url.startswith("https://"))
    return response


@router.get("/latest", response_class=HTMLResponse)
def latest(request: Request, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    articles, has_next = _storyline(request).article_page(page)
    if not articles and page > 1:
        raise HTTPException(status_code=404, detail=f"There is no page {page} of articles.")
    return render(request, "index.html", {
        "articles": articles,
        "copies": _storyline(request).copy_counts([a.id for a in articles]),
        "excerpts": {a.id: excerpt(" ".join(paragraphs(a.text, a.title)), 240) for a in articles},
        "page": page,
        "has_next": has_next,
        "nav": "latest",
        "show_sample_credit": any(a.is_sample for a in articles),
    })


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: RecordId,
                 s: Annotated[int | None, Query(ge=0, le=100_000, description="A cited sentence to highlight.")] = None,
                 q: AskParam = None) -> HTMLResponse:
    view = _storyline(request).article_view(article_id, sentence=s)
    if view is None:
        raise HTTPException(status_code=404, detail=f"There is no article with id {article_id}.")
    return render(request, "article.html", {
        "article": view.article,
        "story_id": view.story_id,
        "group": view.group,
        "original": view.original,
        "others": list(view.others),
        "revisions": list(view.revisions),
        "key_points": list(view.key_points),
        "cited": view.cited,
        "show_sample_credit": view.article.is_sample,
        **_asked(request, q, article_id=article_id),
    })


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    sources = _storyline(request).sources()
    fetched = [s for s in sources if s.kind in FETCHED_KINDS]
    return render(request, "sources.html", {
        "nav": "sources",
        "sources": sorted(fetched, key=lambda s: ((s.folder or "~").lower(), s.title.lower())),
        "failing": sum(1 for s in fetched if s.health.last_error and not s.health.paused),
        "paused": sum(1 for s in fetched if s.health.paused),
        # With workers (the ``queue`` setting): refreshes that failed every attempt.
        "failed_refreshes": _storyline(request).failed_refreshes(),
    })


_KINDS = {"person": "Person", "organization": "Organisation", "place": "Place", "other": "Other"}


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: RecordId) -> HTMLResponse:
    view = _storyline(request).entity(entity_id)
    if view is None:
        raise HTTPException(status_code=404, detail=f"There is no person, organisation or place with id {entity_id}.")
    return render(request, "entity.html", {
        "entity": view.entity,
        "kind": _KINDS.get(view.entity.type.value, "Other"),
        "stories": list(view.stories),
        "unassigned": list(view.unassigned),
        "feed_path": f"/entities/{entity_id}/feed",
        "feed_title": view.entity.name,
    })


def new_since(view: StoryView, visit: datetime | None) -> list[TimelineEntry]:
    """The story's timeline entries of reports Storyline received after ``visit`` (none on a first visit)."""
    if visit is None or view.summary is None:
        return []
    return [entry for entry in view.summary.timeline
            if (article := view.article(entry.article)) is not None and article.created_at > visit]
