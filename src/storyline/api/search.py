"""GET /api/search: the search page's JSON twin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from storyline.api.routes import _INVALID, next_page, storyline_of
from storyline.api.schemas import SearchPage
from storyline.errors import InputError

# Included in ``api.routes.router``, which gives it the /api prefix, the tag and the 503 answer.
router = APIRouter()


@router.get("/search", response_model=SearchPage, summary="Search articles, grouped by story", responses=_INVALID)
def search(
    request: Request,
    q: Annotated[str | None, Query(description="Words to find (see docs/search.md: \"phrases\", -word, OR).")] = None,
    outlet: Annotated[str | None, Query(description="Only this outlet (its name, any case).")] = None,
    since: Annotated[str | None, Query(alias="from", description="From this day on (YYYY-MM-DD, UTC).")] = None,
    until: Annotated[str | None, Query(alias="to", description="Up to and including this day (YYYY-MM-DD).")] = None,
    entity: Annotated[str | None, Query(description="Only articles naming this person, place or organisation (id).")]
    = None,
    lang: Annotated[str | None, Query(description="Only articles in this language (en, fr, ...).")] = None,
    page: Annotated[str | None, Query(description="Page number, from 1.")] = None,
) -> SearchPage:
    """Articles matching ``q`` within the filters: a page of stories, each with its best matching articles.

    Every parameter is taken as text and checked by the application, so that an empty ``q``
    or any parameter that is not valid answers 422 with a message naming it in the reader's terms.
    """
    app = storyline_of(request)
    try:
        checked = app.search_request(q, outlet=outlet, since=since, until=until, entity=entity, lang=lang,
                                     page=page)
        if checked.is_empty:
            raise InputError("q", "there is nothing to search for", hint="Give some words in q.")
        results = app.search(checked)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    next_url = next_page(request, checked.page + 1) if results.has_next else None
    return SearchPage.of(results, next_url)
