"""JSON routes under /api."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse

from storyline import __version__
from storyline.api.schemas import (
    FETCHED_KINDS,
    MAX_ID,
    AnswerOut,
    ArticleDetail,
    ArticlePage,
    ArticleSummary,
    EntityDetail,
    ErrorResponse,
    Health,
    NewStories,
    RecordId,
    RevisionOut,
    SourceOut,
    Stats,
    StoryDetail,
    StoryPage,
    StorySummary,
    utc_now,
)
from storyline.app import MAX_QUESTION, MovedStory, StoryAnswer, Storyline
from storyline.errors import InputError

# Every error has the ErrorResponse shape (see storyline.web.server); declaring 422 here
# also keeps FastAPI from documenting its own validation error shape, which we never send.
Responses = dict[int | str, dict[str, Any]]
_UNAVAILABLE: Responses = {503: {"model": ErrorResponse, "description": "The database does not answer."}}
_INVALID: Responses = {422: {"model": ErrorResponse, "description": "A parameter is not valid."}}
_NOT_FOUND: Responses = {404: {"model": ErrorResponse, "description": "There is no such article."}}

router = APIRouter(prefix="/api", tags=["api"], responses=_UNAVAILABLE)

PageNumber = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]


def storyline_of(request: Request) -> Storyline:
    """The application object the ASGI app was built around."""
    return request.app.state.storyline


def next_page(request: Request, page: int) -> str:
    """This address with ``page`` set (other parameters kept): absolute on ``base_url``, else relative.

    Never built from the request's Host header, which the client chooses: a link (or a cached
    response holding it) must not point readers at whatever host a request claimed.
    """
    url = request.url.include_query_params(page=page)
    return storyline_of(request).settings.base_url + url.path + (f"?{url.query}" if url.query else "")


@router.get(
    "/articles", response_model=ArticlePage, summary="Latest articles, newest first", responses=_INVALID
)
def list_articles(request: Request, page: PageNumber = 1) -> ArticlePage:
    """One page of articles; a page past the last one is empty, with ``next`` null."""
    app = storyline_of(request)
    rows, has_next = app.article_page(page)
    next_url = next_page(request, page + 1) if has_next else None
    return ArticlePage(
        page=page, page_size=app.settings.page_size, articles=[ArticleSummary.of(a) for a in rows],
        next=next_url,
    )


@router.get(
    "/articles/{article_id}", response_model=ArticleDetail, summary="One article",
    responses={**_NOT_FOUND, **_INVALID},
)
def get_article(request: Request, article_id: RecordId) -> ArticleDetail:
    """One article with its full text."""
    article = storyline_of(request).article(article_id)
    if article is None:
        raise HTTPException(status_code=404, detail=f"No article with id {article_id}.")
    return ArticleDetail.of(article, storyline_of(request).key_points(article_id))


@router.get("/stories", response_model=StoryPage, summary="Top stories, best first", responses=_INVALID)
def list_stories(request: Request, page: PageNumber = 1) -> StoryPage:
    """One page of stories ranked by outlets, momentum, freshness and diversity; past the last page, empty."""
    app = storyline_of(request)
    cards, has_next = app.top_stories(page)
    next_url = next_page(request, page + 1) if has_next else None
    return StoryPage(page=page, page_size=app.settings.page_size, stories=[StorySummary.of(c) for c in cards],
                     next=next_url)


# Declared before /stories/{story_id}, which would otherwise take "new" for an id.
@router.get("/stories/new", response_model=NewStories, summary="How many stories are new since one", responses=_INVALID)
def new_stories(request: Request,
                after: Annotated[int, Query(ge=0, le=MAX_ID, description="A story id: count the stories made after it.")
                                 ] = 0) -> NewStories:
    """Stories made after story ``after`` (ids only grow), and the newest id. Cheap: made for polling."""
    count, newest = storyline_of(request).new_stories(after)
    return NewStories(after=after, count=count, newest=newest)


@router.get(
    "/stories/{story_id}", response_model=StoryDetail, summary="One story",
    responses={**_INVALID, 404: {"model": ErrorResponse, "description": "There is no such story."},
               301: {"description": "The story was merged into another: Location names it."}},
)
def get_story(request: Request, story_id: RecordId) -> StoryDetail | RedirectResponse:
    """A story's reports, timeline, outlets and related stories. A merged story redirects (301)."""
    view = storyline_of(request).find_story(story_id)
    if isinstance(view, MovedStory):
        return RedirectResponse(f"/api/stories/{view.story_id}", status_code=301)
    if view is None:
        raise HTTPException(status_code=404, detail=f"No story with id {story_id}.")
    return StoryDetail.of(view)


@router.get(
    "/entities/{entity_id}", response_model=EntityDetail, summary="A person, organisation or place",
    responses={**_INVALID, 404: {"model": ErrorResponse, "description": "There is no such entity."}},
)
def get_entity(request: Request, entity_id: RecordId) -> EntityDetail:
    """One entity (its name, type, spellings) and the stories naming it, latest first."""
    view = storyline_of(request).entity(entity_id)
    if view is None:
        raise HTTPException(status_code=404, detail=f"No person, organisation or place with id {entity_id}.")
    return EntityDetail.of_view(view)


@router.get(
    "/articles/{article_id}/revisions", response_model=list[RevisionOut],
    summary="Earlier versions of an edited article", responses={**_NOT_FOUND, **_INVALID},
)
def get_revisions(request: Request, article_id: RecordId) -> list[RevisionOut]:
    """The titles and texts an article had before its publisher edited it, oldest first."""
    app = storyline_of(request)
    if app.article(article_id) is None:
        raise HTTPException(status_code=404, detail=f"No article with id {article_id}.")
    return [RevisionOut.of(r) for r in app.article_revisions(article_id)]


@router.get("/stats", response_model=Stats, summary="Counts over the store")
def get_stats(request: Request) -> Stats:
    """How many articles, outlets and sources the store holds, and its time span."""
    return Stats.of(storyline_of(request).stats())


def health(request: Request) -> Health:
    """Liveness and store check; raises when the store does not answer."""
    app = storyline_of(request)
    return Health(status="ok", version=__version__, database=app.check_store(), checked_at=utc_now())


@router.get("/sources", response_model=list[SourceOut], summary="Sources with their health")
def list_sources(request: Request) -> list[SourceOut]:
    """The sources Storyline fetches (feeds, sitemaps, pages); imported files are not listed."""
    return [SourceOut.of(s) for s in storyline_of(request).sources() if s.kind in FETCHED_KINDS]


# -- asking a story ---------------------------------------------------------------------------

Question = Annotated[str, Query(description=f"The question, 1-{MAX_QUESTION} characters.")]
_ASK_RESPONSES: Responses = {422: {"model": ErrorResponse, "description": "The question is empty or too long."}}


@router.get("/stories/{story_id}/ask", response_model=AnswerOut, summary="Ask a story a question",
            responses={**_ASK_RESPONSES, 404: {"model": ErrorResponse, "description": "There is no such story."}})
def ask_story(request: Request, story_id: RecordId, q: Question) -> AnswerOut:
    """The sentences of the story's reports that answer ``q``, each cited; ``known`` false: "I don't know"."""
    return _answer(lambda: storyline_of(request).ask(story_id, q), f"No story with id {story_id}.")


@router.get("/articles/{article_id}/ask", response_model=AnswerOut, summary="Ask an article's story a question",
            responses={**_ASK_RESPONSES, **_NOT_FOUND})
def ask_article(request: Request, article_id: RecordId, q: Question) -> AnswerOut:
    """``q`` asked of the story the article is in (of the article alone when it has no story)."""
    return _answer(lambda: storyline_of(request).ask_article(article_id, q), f"No article with id {article_id}.")


def _answer(ask: Callable[[], StoryAnswer | None], missing: str) -> AnswerOut:
    """The answer ``ask`` gives; a question it refuses is a 422, nothing to ask a 404 saying ``missing``."""
    try:
        asked = ask()
    except InputError as exc:
        raise HTTPException(status_code=422, detail=f"{exc.message[:1].upper()}{exc.message[1:]}.") from None
    if asked is None:
        raise HTTPException(status_code=404, detail=missing)
    return AnswerOut.of(asked)
