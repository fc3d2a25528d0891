"""The clustering gates: labelled corpora run through ingest's stages, scored against their gold stories.

Corpora (``data/corpora/clustering``): ECB+ (gold story = ``subtopic``; Barhom et al.'s
split, test = topics 36-45) and GVC train+dev (gold story = ``incident_id``).

A corpus is run as a user's import of it would be (``storyline.ingest.batch.cluster_records``):

1. Order: articles with a date in date order; undated ones keep their place in the file.
   No number of stories is given.
2. Into a scratch store through ``Ingest`` with the default settings (story window included):
   extract, normalize, store, copies (a copy joins its original's story without reaching the
   clusterer), stories (embedded, then assigned).
3. Score the final stories (merges resolved) with B-cubed and pairwise P/R/F1.

The corpora are archives, not a day of news (ECB+ gold stories span up to three years): as in
any import, every article arrives "now", so the story window closes no story during the run and
time counts only as evidence, through the gap between publication dates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dateutil import parser as date_parser

from storyline.cluster import ClusterScores, StoryClusterer, cluster_scores
from storyline.config import Settings, load_settings
from storyline.embed import Embedder
from storyline.ingest.batch import Record, cluster_records

__all__ = [
    "ClusterRun",
    "LabelledArticle",
    "default_settings",
    "load_ecbplus",
    "load_gvc",
    "project_embedder",
    "run_clustering",
]


def default_settings() -> Settings:
    """The settings a new user has: nothing from this machine's environment or files."""
    return load_settings({}, environ={})


def project_embedder() -> Embedder:
    """The embed stage as the default settings make it, with an in-process cache shared by the runs that use it."""
    from storyline.embed import embedder_from_settings

    return embedder_from_settings(default_settings())


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    """One article of a labelled corpus and its gold story."""

    doc_id: str
    title: str
    text: str
    published: datetime | None
    url: str | None
    outlet: str | None
    gold: str
    split: str


@dataclass(frozen=True, slots=True)
class ClusterRun:
    """Scores of one streamed corpus and the story each article ended in (by doc id)."""

    scores: ClusterScores
    story_of: dict[str, int]
    duplicates: int
    merges: int


def _date(text: str | None) -> datetime | None:
    """A dateline like "August 04 2011", "Sept. 08, 2010" or "08/04/11" as a UTC day; None if unreadable."""
    if not text:
        return None
    try:
        parsed = date_parser.parse(text.replace(".", " "), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


def load_ecbplus(path: Path, splits: set[str]) -> list[LabelledArticle]:
    """ECB+ documents of ``splits`` ("train", "dev", "test"), in file order."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["split_barhom"] in splits:
            out.append(LabelledArticle(r["doc_id"], r.get("title_guess") or "", r["text"],
                                       _date(r.get("dateline_guess")), r.get("url"), r.get("source"), r["subtopic"],
                                       r["split_barhom"]))
    return out


def load_gvc(path: Path) -> list[LabelledArticle]:
    """GVC train+dev documents in file order."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        published = datetime.fromisoformat(r["date"]).replace(tzinfo=UTC) if r.get("date") else None
        out.append(LabelledArticle(r["doc_id"], r.get("title") or "", r["text"], published, r.get("url"),
                                   r.get("source"), str(r["incident_id"]), r.get("gvc_split", "")))
    return out


def run_clustering(
    articles: Sequence[LabelledArticle],
    embedder: Embedder | None = None,
    settings: Settings | None = None,
    *,
    clusterer: Callable[[Mapping[str, int]], StoryClusterer] | None = None,
) -> ClusterRun:
    """Run ``articles`` through ingest's stages (see the module docstring) and score the stories.

    ``settings`` default to a new user's; ``embedder`` to theirs (pass one to share its cache
    between runs); ``clusterer`` makes the stage's clusterer from the map of doc id -> stored
    article id (model fitting passes one that follows the gold stories).
    """
    records = [Record(a.doc_id, a.title, a.text, a.published, a.url, a.outlet) for a in articles]
    run = cluster_records(records, settings or default_settings(), embedder=embedder, clusterer=clusterer)
    gold = [a.gold for a in articles]
    predicted = [run.story_of[a.doc_id] for a in articles]
    return ClusterRun(cluster_scores(gold, predicted), run.story_of, run.copies, run.merges)
