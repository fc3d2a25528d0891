"""The adaptive refresh schedule and failure backoff (pure functions, exact numbers)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from storyline.ingest.refresh import RefreshPolicy, failure_backoff, items_per_day, schedule
from storyline.types import RawItem

POLICY = RefreshPolicy(min_interval_s=300, max_interval_s=86400, jitter=0.0)
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rate", "seconds"),
    [
        (48.0, 900),  # two fetches per new item: every 15 minutes
        (1000.0, 300),  # never more often than the minimum
        (1.0, 43200),
        (0.1, 86400),  # never less often than the maximum
        (0.0, 86400),  # a source that stopped publishing: once a day
        (None, 3600),  # unknown rate: hourly until we learn it
    ],
)
def test_schedule_follows_the_publishing_rate(rate: float | None, seconds: int) -> None:
    assert schedule(rate, POLICY) == seconds


def test_jitter_stays_within_bounds_and_varies() -> None:
    policy = RefreshPolicy(min_interval_s=300, max_interval_s=86400, jitter=0.1)
    rng = random.Random(7)
    values = {schedule(48.0, policy, rng) for _ in range(200)}
    assert min(values) >= 810
    assert max(values) <= 990
    assert len(values) > 50


def test_backoff_doubles_is_capped_and_honours_retry_after() -> None:
    assert [failure_backoff(n, None, POLICY) for n in (1, 2, 3, 4)] == [300, 600, 1200, 2400]
    assert failure_backoff(30, None, POLICY) == 86400
    assert failure_backoff(1, 7200.0, POLICY) == 7200  # Retry-After longer than the backoff wins
    assert failure_backoff(5, 60.0, POLICY) == 4800  # a shorter Retry-After does not shorten it
    assert failure_backoff(1, 10**9, POLICY) == 86400


def test_items_per_day_counts_the_last_week() -> None:
    items = [RawItem(origin="x", published=NOW - timedelta(hours=h)) for h in range(0, 7 * 24, 12)]
    items.append(RawItem(origin="old", published=NOW - timedelta(days=30)))
    assert items_per_day(items, NOW) == 2.0
    assert items_per_day([RawItem(origin="undated")], NOW) is None
