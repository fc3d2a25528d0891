"""`storyline cluster` and `storyline eval clustering`: stories over a JSONL file."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from storyline.app import read_records
from storyline.cli.common import cli, err, handled, out, settings_of
from storyline.cluster import ClusterSettings
from storyline.config import Settings
from storyline.embed import embedder_from_settings, embedding_text
from storyline.errors import RecordError, StorylineError
from storyline.evaluate.clustering import ClusterRun, LabelledArticle, run_clustering
from storyline.parse.files import parse_published
from storyline.types import Article

eval_cli = typer.Typer(help="Measure a stage on labelled data.", no_args_is_help=True)
cli.add_typer(eval_cli, name="eval")

_WINDOW_HELP = "Days a story stays open after its latest article (default: the story_window_days setting)."


def _string(record: dict[str, Any], name: str, origin: str) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str | int):
        raise RecordError(origin, f'"{name}" must be a string')
    return None if value is None else str(value)


def _articles(path: Path, label: str | None) -> tuple[list[LabelledArticle], int]:
    """The records of ``path`` as articles (with their ``label`` as gold story); bad records are skipped."""
    articles: list[LabelledArticle] = []
    seen: set[str] = set()
    skipped = 0
    for origin, record in read_records(path):
        try:
            if isinstance(record, RecordError):
                raise record
            doc_id = _string(record, "id", origin)
            if not doc_id:
                raise RecordError(origin, 'no "id" in the record', hint='Each record needs "id" and "text".')
            if doc_id in seen:
                raise RecordError(origin, f"id {doc_id!r} appears twice")
            gold = _string(record, label, origin) if label else ""
            if label and gold is None:
                raise RecordError(origin, f'no "{label}" in the record (the label to score against)')
            articles.append(LabelledArticle(
                doc_id, _string(record, "title", origin) or "", _string(record, "text", origin) or "",
                parse_published(record.get("published"), origin), _string(record, "url", origin),
                _string(record, "source", origin), gold or "", "",
            ))
            seen.add(doc_id)
        except RecordError as exc:
            skipped += 1
            err.print(f"[yellow]skipped[/yellow] {escape(str(exc))}", highlight=False)
    return articles, skipped


def _run(settings: Settings, articles: list[LabelledArticle], window_days: float | None) -> tuple[ClusterRun, float]:
    embedder = embedder_from_settings(settings)
    spent = [0.0]

    def embed(batch: Sequence[Article]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return embedder.embed([embedding_text(a.title, a.text) for a in batch])
        finally:
            spent[0] += time.perf_counter() - started

    days = float(window_days if window_days is not None else settings.story_window_days)
    run = run_clustering(articles, embed, ClusterSettings(window_days=days))
    return run, spent[0]


def _throughput(count: int, seconds: float, embedding: float, stories: int, skipped: int) -> str:
    rate = count / seconds if seconds else 0.0
    rest = count / (seconds - embedding) if seconds > embedding else 0.0
    return (f"{count} records in {stories} stories, {skipped} skipped; {rate:.0f} records/s "
            f"({embedding:.1f} s embedding, {rest:.0f} records/s for the other stages)")


@cli.command("cluster")
def cluster_command(
    ctx: typer.Context,
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl",
                                               help="Records {id, title, text, published?, source?, url?}.")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write {id, story_id} per record.")],
    window_days: Annotated[float | None, typer.Option(help=_WINDOW_HELP, min=0.01)] = None,
) -> None:
    """Group the records of a JSONL file into stories: normalize, dedupe, embed, cluster, in date order."""
    settings = settings_of(ctx)
    started = time.perf_counter()
    with handled():
        articles, skipped = _articles(input_path, None)
        run, embedding = _run(settings, articles, window_days)
        try:
            handle = out_path.open("w", encoding="utf-8")
        except OSError as exc:
            raise StorylineError(str(out_path), f"cannot write the output ({exc.strerror})") from exc
        with handle:
            for article in articles:
                handle.write(json.dumps({"id": article.doc_id, "story_id": run.story_of[article.doc_id]}) + "\n")
    seconds = time.perf_counter() - started
    stories = len(set(run.story_of.values()))
    err.print(_throughput(len(articles), seconds, embedding, stories, skipped), highlight=False)
    if skipped and not articles:
        raise typer.Exit(1)


@eval_cli.command("clustering")
def eval_clustering_command(
    ctx: typer.Context,
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl", help="Records {id, title, text, published?, "
                                                                          "source?, url?} with a gold label.")],
    label: Annotated[str, typer.Option("--label", help="The field naming each record's true story.")],
    window_days: Annotated[float | None, typer.Option(help=_WINDOW_HELP, min=0.01)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Run the story stages over labelled records and print B-cubed and pairwise precision, recall and F1."""
    settings = settings_of(ctx)
    started = time.perf_counter()
    with handled():
        articles, skipped = _articles(input_path, label)
        if not articles:
            raise StorylineError(str(input_path), "no record to score")
        run, embedding = _run(settings, articles, window_days)
    seconds = time.perf_counter() - started
    scores = run.scores
    gold_stories = len({a.gold for a in articles})
    stories = len(set(run.story_of.values()))
    if as_json:
        out.print_json(json.dumps({
            "records": len(articles), "skipped": skipped, "gold_stories": gold_stories, "stories": stories,
            "bcubed": {"precision": scores.bcubed.precision, "recall": scores.bcubed.recall, "f1": scores.bcubed.f1},
            "pairwise": {"precision": scores.pairwise.precision, "recall": scores.pairwise.recall,
                         "f1": scores.pairwise.f1},
            "duplicates": run.duplicates, "merges": run.merges, "seconds": round(seconds, 2),
        }))
        return
    table = Table(title=f"{escape(str(input_path))}: {stories} stories found, {gold_stories} true")
    for column in ("metric", "precision", "recall", "F1"):
        table.add_column(column, justify="right" if column != "metric" else "left")
    for name, score in (("B-cubed", scores.bcubed), ("pairwise", scores.pairwise)):
        table.add_row(name, f"{score.precision:.4f}", f"{score.recall:.4f}", f"{score.f1:.4f}")
    out.print(table)
    err.print(_throughput(len(articles), seconds, embedding, stories, skipped), highlight=False)
