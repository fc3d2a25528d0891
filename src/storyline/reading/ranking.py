"""Which stories the home page shows first: one function, :func:`rank_stories`.

A story's score multiplies four things readers feel:

- **breadth**: how many distinct outlets covered it, and how many distinct reports it has
  (a wire story carried by ten outlets is one report; ten outlets each reporting it
  themselves is ten): ``log2(1 + outlets) + 0.5 * log2(1 + reports)``. Logarithms, so
  the hundredth outlet adds less than the second.
- **momentum**: reports in the last ``recent_hours`` against the story's whole life: a
  story still gathering coverage rises, ``1 + recent / reports`` (1 to 2).
- **freshness**: the last report's age halves the score every ``half_life_hours``.
- **diversity**: stories are picked greedily; a story related to one already above it
  (``related``: the nearest stories the clusterer stored) is damped by ``related_penalty``
  for each such neighbour, so the top of the page is not five angles on one event.

Deterministic: ties go to the newer story, then the higher id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from storyline.types import StoryStats

__all__ = ["RankingWeights", "rank_stories"]


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """The knobs of :func:`rank_stories` (the defaults are the documented ones)."""

    half_life_hours: float = 12.0
    recent_hours: float = 6.0
    related_penalty: float = 0.6


def story_score(story: StoryStats, now: datetime, weights: RankingWeights = RankingWeights()) -> float:
    """The logarithm of one story's score before the diversity step (see the module docstring).

    In logarithms, so that the freshness of a years-old archive does not round to zero and
    leave every story tied.
    """
    breadth = math.log2(1 + story.outlets) + 0.5 * math.log2(1 + story.reports)
    momentum = 1.0 + story.recent / max(story.reports, 1)
    age_hours = max((now - story.last_seen).total_seconds() / 3600.0, 0.0)
    return math.log(max(breadth, 1e-9)) + math.log(momentum) - math.log(2) * age_hours / weights.half_life_hours


def rank_stories(
    stories: Sequence[StoryStats],
    now: datetime,
    *,
    related: Mapping[int, Sequence[int]] | None = None,
    limit: int | None = None,
    weights: RankingWeights = RankingWeights(),
) -> list[StoryStats]:
    """``stories`` best first (at most ``limit``), by breadth, momentum, freshness and diversity."""
    related = related or {}
    base = {s.story_id: story_score(s, now, weights) for s in stories}
    remaining = sorted(stories, key=lambda s: (-base[s.story_id], -s.last_seen.timestamp(), -s.story_id))
    chosen: list[StoryStats] = []
    shown: set[int] = set()
    wanted = len(remaining) if limit is None else min(limit, len(remaining))
    while remaining and len(chosen) < wanted:
        # Scores only fall as stories are chosen, so the first candidate whose damped score
        # still beats the next one's base score is the best (lazy greedy).
        best_index, best_score = 0, -math.inf
        for index, story in enumerate(remaining):
            if base[story.story_id] <= best_score:
                break
            neighbours = sum(1 for other in related.get(story.story_id, ()) if other in shown)
            score = base[story.story_id] + neighbours * math.log(weights.related_penalty)
            if score > best_score:
                best_index, best_score = index, score
        story = remaining.pop(best_index)
        chosen.append(story)
        shown.add(story.story_id)
    return chosen
