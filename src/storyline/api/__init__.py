"""The JSON API under /api: the same data as the web pages, for programs."""

from storyline.api.routes import router

__all__ = ["router"]
