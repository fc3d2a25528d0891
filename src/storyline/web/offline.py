"""Offline reading (a progressive web app): the service worker, served from the root so that it covers every page.

The worker (``static/sw.js``) keeps the pages a reader opened, so they read offline; its
own content security policy allows it to fetch this site only. Registration is a small
script (``static/app.js``) that pages load; without it, nothing changes.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from storyline.web.render import render

router = APIRouter(include_in_schema=False)

_WORKER = (Path(__file__).with_name("static") / "sw.js").read_bytes()
_WORKER_HEADERS = {
    # A worker's fetches follow its own script's policy: this site only.
    "Content-Security-Policy": "default-src 'none'; connect-src 'self'",
    # Browsers check for a new worker on navigation; never serve a stale one.
    "Cache-Control": "no-cache",
    "Service-Worker-Allowed": "/",
}


@router.get("/sw.js")
def service_worker() -> Response:
    return Response(_WORKER, media_type="text/javascript", headers=_WORKER_HEADERS)


@router.get("/offline", response_class=HTMLResponse)
def offline_page(request: Request) -> HTMLResponse:
    return render(request, "offline.html", {})
