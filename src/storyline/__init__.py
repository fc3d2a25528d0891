"""Storyline: a self-hosted news aggregator.

The public face is small: :func:`make_app` returning a :class:`Storyline`, the settings
(:func:`load_settings`), and the modules :mod:`storyline.types` and
:mod:`storyline.errors`. Everything else is internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Settings", "Storyline", "__version__", "load_settings", "make_app"]

if TYPE_CHECKING:
    from storyline.app import Storyline, make_app
    from storyline.config import Settings, load_settings

# Imported on first use: a stage importing storyline.types must not pull in the web app.
_LAZY = {
    "Storyline": "storyline.app",
    "make_app": "storyline.app",
    "Settings": "storyline.config",
    "load_settings": "storyline.config",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'storyline' has no attribute {name!r}")
