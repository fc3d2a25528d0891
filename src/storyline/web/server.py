"""The ASGI application: pages, the JSON API, static files and error pages."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from pathlib import Path

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storyline import __version__, api
from storyline.api.schemas import ErrorResponse, Health
from storyline.app import Storyline
from storyline.errors import StoreError
from storyline.web.feeds import router as feeds_router
from storyline.web.headers import SecurityHeaders
from storyline.web.offline import router as offline_router
from storyline.web.pages import router as pages_router
from storyline.web.render import render
from storyline.web.search import router as search_router

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
# Not in every system's MIME table; with nosniff, a manifest must say what it is.
mimetypes.add_type("application/manifest+json", ".webmanifest")

_REASONS = {
    404: ("Page not found", "There is nothing at this address."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    422: ("Bad request", "Part of this address is not valid."),
    500: ("Something went wrong", "Storyline hit an error showing this page. It has been logged."),
    503: ("Storyline is unavailable", "The database does not answer. Try again in a moment."),
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _error_response(
    request: Request, status: int, detail: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    title, default_detail = _REASONS.get(status, ("Error", "The request could not be served."))
    message = detail or default_detail
    if _wants_json(request):
        response: Response = JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    else:
        response = render(request, "error.html", {"title": title, "message": message, "status": status},
                          status_code=status)
    # The framework's own headers for the error: Allow on a 405 (RFC 9110 requires it).
    response.headers.update(headers or {})
    return response


class HeadAsGet:
    """Answer HEAD like GET without the body (HTTP requires HEAD wherever GET works).

    FastAPI routes declared with ``get`` answer HEAD with 405, which breaks uptime checks
    and link checkers; running GET and dropping the body keeps every header, length included.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


def create_asgi(app: Storyline) -> FastAPI:
    """The ASGI app serving ``app``: pages at /, JSON at /api, OpenAPI at /api/docs."""
    # FastAPIOffline serves Swagger UI's files itself: the API docs work with no network.
    asgi = FastAPIOffline(
        title="Storyline",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        static_url="/api/docs-static",
    )
    asgi.state.storyline = app
    asgi.add_middleware(HeadAsGet)
    asgi.add_middleware(SecurityHeaders, base_url=app.settings.base_url)
    asgi.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    asgi.include_router(api.router)
    asgi.include_router(pages_router)
    asgi.include_router(search_router)
    asgi.include_router(feeds_router)
    asgi.include_router(offline_router)

    @asgi.get(
        "/healthz", response_model=Health, tags=["api"], summary="Liveness and store check",
        responses={503: {"model": ErrorResponse, "description": "The database does not answer."}},
    )
    def healthz(request: Request) -> Health:
        return api.routes.health(request)

    @asgi.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        body, content_type = app.metrics_text()
        return Response(body, media_type=content_type)

    @asgi.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc, HTTPException) or exc.status_code != 404 else None
        if isinstance(detail, str) and detail in {"Not Found", "Method Not Allowed"}:
            detail = None
        return _error_response(request, exc.status_code, detail, exc.headers)

    @asgi.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        )
        if _wants_json(request):
            return _error_response(request, 422, f"Invalid request: {problems}.")
        # A page address that does not parse (/articles/abc) is a page that does not exist.
        address = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return _error_response(request, 404, f"There is no page at {address}.")

    @asgi.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        log.error("store_error", path=request.url.path, error=str(exc))
        return _error_response(request, 503, None)

    @asgi.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("request_failed", path=request.url.path)
        return _error_response(request, 500, None)

    return asgi

