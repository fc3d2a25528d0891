"""The clustering benchmark: labelled corpora streamed through normalize -> dedupe -> embed -> cluster.

Corpora (``data/corpora/clustering``): ECB+ (gold story = ``subtopic``; Barhom et al.'s
split, test = topics 36-45) and GVC train+dev (gold story = ``incident_id``).

How a corpus is run, as the live pipeline would see it:

1. Order: articles with a date in date order; undated ones keep their place in the file
   (the dated articles fill the dated articles' places, sorted). No number of stories is given.
2. Normalize each article (``normalize_article``); the arrival time of a dated article is its
   publication time (as for a feed polled as it publishes), an undated one has neither.
3. Dedupe (``dedupe_records``): a copy of an earlier article joins that article's story and
   does not reach the clusterer, as in the pipeline.
4. Embed (the embedder passed in), then ``StoryClusterer.add`` each article in order.
5. Score the final stories (merged ids resolved) with B-cubed and pairwise P/R/F1.

The corpora are archives, not a day of news: ECB+ gold stories span up to three years (a trial
covered from indictment to sentence) and GVC incidents up to two. They are run with
``ARCHIVE_WINDOW_DAYS`` instead of a live window, so that what is measured is the assignment
decision (where time counts as evidence through the gap feature), not eviction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from dateutil import parser as date_parser

from storyline.cluster import ClusterInput, ClusterScores, ClusterSettings, StoryClusterer, cluster_scores
from storyline.dedupe_run import DedupeOutcome, dedupe_records
from storyline.errors import StorylineError
from storyline.normalize import normalize_article
from storyline.types import Article, ExtractedArticle

__all__ = [
    "ARCHIVE_WINDOW_DAYS",
    "ClusterRun",
    "Embed",
    "LabelledArticle",
    "archive_settings",
    "load_ecbplus",
    "load_gvc",
    "project_embedder",
    "run_clustering",
    "stream_order",
]

Embed = Callable[[Sequence[Article]], np.ndarray]
ARCHIVE_WINDOW_DAYS = 3650.0


def archive_settings() -> ClusterSettings:
    """The stage's settings with a window as long as the corpora's time span."""
    return replace(ClusterSettings(), window_days=ARCHIVE_WINDOW_DAYS)


def project_embedder() -> Embed:
    """The embed stage as the pipeline runs it: ``OnnxEmbedder`` over ``embedding_text``."""
    from storyline.embed import OnnxEmbedder, embedding_text

    embedder = OnnxEmbedder()
    return lambda articles: embedder.embed([embedding_text(a.title, a.text) for a in articles])


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


def stream_order(articles: Sequence[LabelledArticle]) -> list[LabelledArticle]:
    """Dated articles sorted by date (stable) into the dated places; undated ones stay where they are."""
    dated_places = [i for i, a in enumerate(articles) if a.published is not None]
    dated = sorted((articles[i] for i in dated_places), key=lambda a: a.published)
    out = list(articles)
    for place, article in zip(dated_places, dated, strict=True):
        out[place] = article
    return out


def _normalized(article: LabelledArticle) -> Article | None:
    item = ExtractedArticle(origin=article.doc_id, title=article.title, text=article.text, url=article.url,
                            outlet=article.outlet, published=article.published)
    try:
        return normalize_article(item)
    except StorylineError:
        return None  # no text left: the pipeline would drop it; here it is its own story


def _copies(ordered: Sequence[LabelledArticle], normalized: Sequence[Article | None]) -> dict[str, str]:
    """doc id -> the earlier doc id it copies, by the duplicates stage."""
    records = [
        (a.doc_id, {"id": a.doc_id, "text": n.text, "title": n.title, "url": a.url, "source": a.outlet,
                    "published": n.published.isoformat() if n.published else None})
        for a, n in zip(ordered, normalized, strict=True) if n is not None
    ]
    return {o.id: o.duplicate_of for o in dedupe_records(records)
            if isinstance(o, DedupeOutcome) and o.duplicate_of is not None}


def run_clustering(
    articles: Sequence[LabelledArticle], embed: Embed, settings: ClusterSettings | None = None, *, dedupe: bool = True,
    clusterer: StoryClusterer | None = None,
) -> ClusterRun:
    """Stream ``articles`` through the stages (see the module docstring) and score the stories.

    ``settings`` default to ``archive_settings()``.
    ``clusterer`` replaces the fresh ``StoryClusterer(settings)`` (model fitting passes one that
    follows the gold stories).
    """
    ordered = stream_order(articles)
    normalized = [_normalized(a) for a in ordered]
    copy_of = _copies(ordered, normalized) if dedupe else {}
    to_cluster = [(a, n) for a, n in zip(ordered, normalized, strict=True) if n is not None and a.doc_id not in copy_of]
    vectors = embed([n for _, n in to_cluster]) if to_cluster else np.zeros((0, 0), np.float32)
    clusterer = clusterer if clusterer is not None else StoryClusterer(settings or archive_settings())
    story_of: dict[str, int] = {}
    merges = 0
    vector_of = {a.doc_id: vectors[i] for i, (a, _) in enumerate(to_cluster)}
    for article, clean in zip(ordered, normalized, strict=True):
        if article.doc_id in copy_of:
            story_of[article.doc_id] = story_of[copy_of[article.doc_id]]
            continue
        if clean is None:
            story_of[article.doc_id] = -len(story_of) - 1  # a story of its own, never shared
            continue
        assignment = clusterer.add(ClusterInput(article.doc_id, clean.title, clean.text, vector_of[article.doc_id],
                                                published=clean.published, received=clean.published))
        merges += len(assignment.merged_from)
        story_of[article.doc_id] = assignment.story_id
    story_of = {doc: clusterer.resolve(story) for doc, story in story_of.items()}
    gold = [a.gold for a in articles]
    predicted = [story_of[a.doc_id] for a in articles]
    return ClusterRun(cluster_scores(gold, predicted), story_of, len(copy_of), merges)
