""""New since your last visit" for readers without an account: when each story was last opened, in a cookie.

The cookie holds ``story:unix-milliseconds`` pairs for the reader's most recently opened stories
(``MAX_STORIES``), newest last. It is the reader's own state, so it is not signed: a
tampered value can only change what that reader is shown as new. Anything malformed
(wrong shape, ids or times out of range, a cookie too long) is ignored piece by piece,
never an error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import Request, Response

__all__ = ["COOKIE", "last_visit", "remember_visit"]

COOKIE = "storyline_seen"
MAX_STORIES = 140
_MAX_COOKIE = 3_800  # browsers keep 4 KB a cookie
_PAIR = re.compile(r"(\d{1,10}):(\d{1,14})")
_ONE_YEAR = 365 * 24 * 3600
_MIN_TIME = datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000


def _visits(request: Request) -> dict[int, int]:
    raw = request.cookies.get(COOKIE, "")[:_MAX_COOKIE]
    found: dict[int, int] = {}
    now = datetime.now(UTC).timestamp() * 1000
    for piece in raw.split("."):
        match = _PAIR.fullmatch(piece)
        if match is None:
            continue
        story, millis = int(match[1]), int(match[2])
        if 0 < story < 2**31 and _MIN_TIME <= millis <= now + 60_000:
            found.pop(story, None)
            found[story] = millis  # the latest pair of a story wins, and moves to the end
    return found


def last_visit(request: Request, story_id: int) -> datetime | None:
    """When this reader last opened story ``story_id`` (None: never, or no cookie)."""
    millis = _visits(request).get(story_id)
    # Milliseconds: an article stored in the same second as the visit, just after it, is new.
    return datetime.fromtimestamp(millis / 1000, UTC) if millis is not None else None


def remember_visit(request: Request, response: Response, story_id: int, *, secure: bool) -> None:
    """Set the cookie on ``response``: story ``story_id`` opened now, the oldest visits dropped past the cap."""
    visits = _visits(request)
    visits.pop(story_id, None)
    visits[story_id] = int(datetime.now(UTC).timestamp() * 1000)
    kept = list(visits.items())[-MAX_STORIES:]
    response.set_cookie(COOKIE, ".".join(f"{s}:{t}" for s, t in kept), max_age=_ONE_YEAR, path="/",
                        httponly=True, samesite="lax", secure=secure)
