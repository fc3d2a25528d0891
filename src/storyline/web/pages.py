"""HTML pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from storyline.api.schemas import FETCHED_KINDS, RecordId, excerpt
from storyline.app import MAX_QUESTION, MovedStory, Storyline
from storyline.errors import InputError
from storyline.web.render import paragraphs, render

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
    })


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
    return render(request, "story.html", {
        "story": view,
        "show_sample_credit": view.lead.is_sample,
        **_asked(request, q, story_id=story_id),
    })


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
