"""Times as people read them: "11 minutes ago", with the exact UTC time beside it."""

from __future__ import annotations

from datetime import UTC, datetime

_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def _amount(count: int, unit: str) -> str:
    if count == 1:
        return "an hour" if unit == "hour" else f"a {unit}"
    return f"{count} {unit}s"


def time_ago(when: datetime, now: datetime | None = None) -> str:
    """``when`` relative to ``now``: "just now", "11 minutes ago", "yesterday", "in 3 hours"."""
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    if not future and 86400 <= seconds < 2 * 86400:
        return "yesterday"
    for size, unit in _UNITS:
        if seconds >= size:
            phrase = _amount(int(seconds // size), unit)
            return f"in {phrase}" if future else f"{phrase} ago"
    raise AssertionError("unreachable: seconds >= 60 matches the minute unit")


def absolute_time(when: datetime) -> str:
    """The exact time in UTC, e.g. "Wed 25 Nov 2026, 12:43 UTC"."""
    return when.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")


def iso_time(when: datetime) -> str:
    """ISO 8601 in UTC with a Z, for ``<time datetime>`` and JSON."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
