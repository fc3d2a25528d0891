"""The JSON API under /api: the same data as the web pages, for programs."""

from storyline.api.routes import router
from storyline.api.search import router as search_router

router.include_router(search_router)

__all__ = ["router"]
