"""Times as people read them: "11 minutes ago", with the exact UTC time beside it."""

from __future__ import annotations

from datetime import UTC, datetime

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_YEAR = 365 * _DAY

_UNITS = (
    (_YEAR, "year"),
    (30 * _DAY, "month"),
    (7 * _DAY, "week"),
    (_DAY, "day"),
    (_HOUR, "hour"),
    (_MINUTE, "minute"),
)


def _amount(count: int, unit: str) -> str:
    if count == 1:
        return "an hour" if unit == "hour" else f"a {unit}"
    return f"{count} {unit}s"


def time_ago(when: datetime, now: datetime | None = None) -> str:
    """``when`` relative to ``now``: "just now", "11 minutes ago", "yesterday", "in 3 hours".

    Amounts are rounded down, as a clock reads: 119 minutes is "an hour ago".
    """
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < _MINUTE:
        return "just now"
    if _DAY <= seconds < 2 * _DAY:
        return "tomorrow" if future else "yesterday"
    for size, unit in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            if unit == "month":
                # 360-364 days is not "12 months": a year starts at 365 days.
                count = min(count, 11)
            phrase = _amount(count, unit)
            return f"in {phrase}" if future else f"{phrase} ago"
    raise AssertionError("unreachable: seconds >= 60 matches the minute unit")


def absolute_time(when: datetime) -> str:
    """The exact time in UTC, e.g. "Wed 25 Nov 2026, 12:43 UTC"."""
    return when.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")


def iso_time(when: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second, for ``<time datetime>``."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
