"""`storyline cluster` and `storyline eval clustering`: stories over a JSONL file."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from storyline.app import Record, cluster_records, parse_published, read_records, score_stories
from storyline.cli.common import cli, err, escape, handled, out, settings_of
from storyline.errors import RecordError, StorylineError

eval_cli = typer.Typer(help="Measure a stage on labelled data.", no_args_is_help=True)
cli.add_typer(eval_cli, name="eval")

_WINDOW_HELP = "Days a story stays open after its latest article (default: the story_window_days setting)."


def _string(record: dict[str, Any], name: str, origin: str) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str | int):
        raise RecordError(origin, f'"{name}" must be a string')
    return None if value is None else str(value)


def records_of(path: Path, label: str | None) -> tuple[list[Record], list[str], int]:
    """The records of ``path`` with their ``label`` as gold story, in file order; bad records are skipped."""
    records: list[Record] = []
    gold: list[str] = []
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
            truth = _string(record, label, origin) if label else ""
            if label and truth is None:
                raise RecordError(origin, f'no "{label}" in the record (the label to score against)')
            records.append(Record(
                doc_id, _string(record, "title", origin) or "", _string(record, "text", origin) or "",
                parse_published(record.get("published"), origin), _string(record, "url", origin),
                _string(record, "source", origin),
            ))
            gold.append(truth or "")
            seen.add(doc_id)
        except RecordError as exc:
            skipped += 1
            err.print(f"[yellow]skipped[/yellow] {escape(str(exc))}", highlight=False)
    return records, gold, skipped


def _throughput(count: int, seconds: float, stories: int, skipped: int) -> str:
    rate = count / seconds if seconds else 0.0
    return f"{count} records in {stories} stories, {skipped} skipped; {rate:.0f} records/s"


@cli.command("cluster")
def cluster_command(
    ctx: typer.Context,
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl",
                                               help="Records {id, title, text, published?, source?, url?}.")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write {id, story_id} per record.")],
    window_days: Annotated[float | None, typer.Option(help=_WINDOW_HELP, min=0.01)] = None,
) -> None:
    """Group the records of a JSONL file into stories with ingest's stages, in date order (your store is untouched)."""
    settings = settings_of(ctx)
    started = time.perf_counter()
    with handled():
        records, _, skipped = records_of(input_path, None)
        run = cluster_records(settings, records, window_days=window_days)
        try:
            handle = out_path.open("w", encoding="utf-8")
        except OSError as exc:
            raise StorylineError(str(out_path), f"cannot write the output ({exc.strerror})") from exc
        with handle:
            for record in records:
                handle.write(json.dumps({"id": record.doc_id, "story_id": run.story_of[record.doc_id]}) + "\n")
    seconds = time.perf_counter() - started
    err.print(_throughput(len(records), seconds, len(set(run.story_of.values())), skipped), highlight=False)
    if skipped and not records:
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
        records, gold, skipped = records_of(input_path, label)
        if not records:
            raise StorylineError(str(input_path), "no record to score")
        run = cluster_records(settings, records, window_days=window_days)
    seconds = time.perf_counter() - started
    scores = score_stories(gold, [run.story_of[r.doc_id] for r in records])
    gold_stories = len(set(gold))
    stories = len(set(run.story_of.values()))
    if as_json:
        out.print_json(json.dumps({
            "records": len(records), "skipped": skipped, "gold_stories": gold_stories, "stories": stories,
            "bcubed": {"precision": scores.bcubed.precision, "recall": scores.bcubed.recall, "f1": scores.bcubed.f1},
            "pairwise": {"precision": scores.pairwise.precision, "recall": scores.pairwise.recall,
                         "f1": scores.pairwise.f1},
            "duplicates": run.copies, "merges": run.merges, "seconds": round(seconds, 2),
        }))
        return
    table = Table(title=f"{escape(str(input_path))}: {stories} stories found, {gold_stories} true")
    for column in ("metric", "precision", "recall", "F1"):
        table.add_column(column, justify="right" if column != "metric" else "left")
    for name, score in (("B-cubed", scores.bcubed), ("pairwise", scores.pairwise)):
        table.add_row(name, f"{score.precision:.4f}", f"{score.recall:.4f}", f"{score.f1:.4f}")
    out.print(table)
    err.print(_throughput(len(records), seconds, stories, skipped), highlight=False)
