"""Relative and absolute times as the web pages show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storyline.web.timefmt import absolute_time, iso_time, time_ago

NOW = datetime(2026, 11, 25, 12, 43, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=60), "a minute ago"),
        (timedelta(seconds=119), "a minute ago"),
        (timedelta(minutes=11), "11 minutes ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "an hour ago"),
        (timedelta(hours=1, minutes=59), "an hour ago"),
        (timedelta(hours=3), "3 hours ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(hours=24), "yesterday"),
        (timedelta(hours=47), "yesterday"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=7), "a week ago"),
        (timedelta(days=20), "2 weeks ago"),
        (timedelta(days=29), "4 weeks ago"),
        (timedelta(days=30), "a month ago"),
        (timedelta(days=95), "3 months ago"),
        (timedelta(days=362), "11 months ago"),
        (timedelta(days=365), "a year ago"),
        (timedelta(days=3 * 365 + 10), "3 years ago"),
    ],
)
def test_time_ago_in_the_past(ago: timedelta, expected: str) -> None:
    assert time_ago(NOW - ago, now=NOW) == expected


@pytest.mark.parametrize(
    ("ahead", "expected"),
    [
        (timedelta(seconds=30), "just now"),
        (timedelta(minutes=1), "in a minute"),
        (timedelta(minutes=5), "in 5 minutes"),
        (timedelta(hours=1), "in an hour"),
        (timedelta(hours=3), "in 3 hours"),
        (timedelta(hours=30), "tomorrow"),
        (timedelta(days=3), "in 3 days"),
        (timedelta(days=14), "in 2 weeks"),
        (timedelta(days=400), "in a year"),
    ],
)
def test_time_ago_in_the_future(ahead: timedelta, expected: str) -> None:
    assert time_ago(NOW + ahead, now=NOW) == expected


def test_time_ago_compares_instants_not_wall_clocks() -> None:
    # 13:43 in UTC+01:00 is 12:43 UTC: the same instant as NOW.
    paris = timezone(timedelta(hours=1))
    assert time_ago(datetime(2026, 11, 25, 13, 43, tzinfo=paris), now=NOW) == "just now"
    assert time_ago(datetime(2026, 11, 25, 13, 32, tzinfo=paris), now=NOW) == "11 minutes ago"


def test_time_ago_defaults_to_the_current_time() -> None:
    assert time_ago(datetime.now(UTC) - timedelta(minutes=11)) == "11 minutes ago"


def test_absolute_time_is_shown_in_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 02:15 on the 26th in Tokyo is 17:15 on the 25th in UTC.
    assert absolute_time(datetime(2026, 11, 26, 2, 15, tzinfo=tokyo)) == "Wed 25 Nov 2026, 17:15 UTC"


def test_absolute_time_of_a_utc_time() -> None:
    assert absolute_time(NOW) == "Wed 25 Nov 2026, 12:43 UTC"


def test_iso_time_is_utc_with_a_z() -> None:
    new_york = timezone(timedelta(hours=-5))
    when = datetime(2026, 11, 25, 7, 43, 9, 123456, tzinfo=new_york)
    assert iso_time(when) == "2026-11-25T12:43:09Z"
    assert datetime.fromisoformat(iso_time(when)) == when.replace(microsecond=0)
