"""Jinja2 templates and the filters they use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from storyline import __version__
from storyline.web.timefmt import absolute_time, iso_time, time_ago

TEMPLATES_DIR = Path(__file__).with_name("templates")

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters["time_ago"] = time_ago
templates.env.filters["absolute_time"] = absolute_time
templates.env.filters["iso_time"] = iso_time
templates.env.globals["version"] = __version__


def paragraphs(text: str) -> list[str]:
    """The paragraphs of stored text (separated by blank lines)."""
    return [p for p in text.split("\n\n") if p.strip()]


templates.env.filters["paragraphs"] = paragraphs


def reading_minutes(word_count: int) -> int:
    """Minutes to read at 230 words a minute, at least one."""
    return max(1, round(word_count / 230))


templates.env.filters["reading_minutes"] = reading_minutes


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render template ``name``; user text is escaped by Jinja's autoescape."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)
