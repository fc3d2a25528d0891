"""Headers every response carries, whatever produced it (a page, the API, the docs, a redirect).

Pages set their own policy (``render.PAGE_HEADERS``); everything else — JSON, OpenAPI,
Swagger UI, static files, error and redirect responses — gets one here, so no response can
be sniffed into HTML, framed by another site, or send a reader to a host a request made up.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# JSON and files: nothing in them may run or load anything, or be framed.
_DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI (served by us, from /api/docs-static) needs its scripts, styles and one inline start-up script.
_DOCS_POLICY = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """Add nosniff, a content security policy and frame denial where a response has none;
    make ``Location`` headers that name the request's own host relative (or on ``base_url``)."""

    def __init__(self, app: ASGIApp, *, base_url: str = "") -> None:
        self.app = app
        self.base_url = base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        host = next((value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"host"), "")
        policy = _DOCS_POLICY if path.startswith("/api/docs") else _DATA_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                location = headers.get("location")
                if location:
                    headers["location"] = self._own(location, host)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _own(self, location: str, host: str) -> str:
        """A redirect to the request's own host was built from its Host header: make it our own path."""
        parts = urlsplit(location)
        if not parts.netloc or parts.netloc.lower() != host.lower():
            return location
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return self.base_url + path
