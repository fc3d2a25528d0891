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


# A block whose lines (all but the last) are this long was wrapped by an editor at a
# fixed width: its lines are one paragraph. Other blocks hold one paragraph per line, as
# extracted pages and scraped text dumps do.
_WRAPPED_LINE = range(40, 81)


def _comparable(line: str) -> str:
    return " ".join(line.replace("‘", "'").replace("’", "'").split()).casefold()


def paragraphs(text: str, title: str | None = None) -> list[str]:
    """The paragraphs of stored text, without a leading repeat of ``title``.

    Stored text separates blocks by blank lines; a line break inside a block starts a new
    paragraph unless the block was hard-wrapped. A copy of the title heading the text (as
    scraped pages and text files often have) is dropped: the page shows the title once.
    """
    found: list[str] = []
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if len(lines) > 2 and all(len(line) in _WRAPPED_LINE for line in lines[:-1]):
            lines = [" ".join(lines)]
        found.extend(lines)
    if title is not None:
        heading = _comparable(title)
        # Keep the last paragraph even if it only repeats the title: it is all there is.
        while len(found) > 1 and _comparable(found[0]) == heading:
            found.pop(0)
    return found


templates.env.filters["paragraphs"] = paragraphs


def is_web_url(value: object) -> bool:
    """Whether ``value`` is an http(s) URL, the only kind of stored URL the pages link to."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


templates.env.tests["web_url"] = is_web_url


def credit_phrase(credits: tuple[str, ...]) -> str:
    """ ("AFP",) -> "AFP report"; ("AFP", "Reuters") -> "AFP and Reuters report"; newswires kept plain."""
    named = [c for c in credits if c != "newswires"]
    if not named:
        return "Wire report"
    joined = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"{joined} report"


templates.env.filters["credit_phrase"] = credit_phrase


def reading_minutes(word_count: int) -> int:
    """Minutes to read at 230 words a minute, at least one."""
    return max(1, round(word_count / 230))


templates.env.filters["reading_minutes"] = reading_minutes


# The pages load only our own stylesheet, icon, manifest and one script file of ours (it
# registers the offline worker): no inline script, nothing from elsewhere, so markup slipped
# into an article could not run or load anything. The one exception, with the ``images``
# setting: story cards' pictures from https addresses (article text is never markup).
_PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:{images}; script-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": _PAGE_POLICY.format(images=""),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# With the ``images`` setting on, story cards may show publishers' pictures (https only).
PAGE_HEADERS_WITH_IMAGES = {**PAGE_HEADERS, "Content-Security-Policy": _PAGE_POLICY.format(images=" https:")}


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render template ``name``; user text is escaped by Jinja's autoescape."""
    images = request.app.state.storyline.settings.images
    return templates.TemplateResponse(
        request, name, {**context, "images": images}, status_code=status_code,
        headers=PAGE_HEADERS_WITH_IMAGES if images else PAGE_HEADERS,
    )
