"""The web app: server-rendered pages (works without JavaScript) plus the JSON API."""

from storyline.web.server import create_asgi

__all__ = ["create_asgi"]
