"""`storyline analyze`: entities, quotes, key points and summaries of articles in files, nothing stored."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from storyline.app import analyze_paths
from storyline.cli.common import cli, err, out
from storyline.errors import StorylineError
from storyline.logs import configure_logging
from storyline.types import Article, SummarySentence


def analysis_json(origin: str, record_id: str | None, article: Article,
                  summary: Sequence[SummarySentence]) -> dict[str, Any]:
    """One article's analysis as ``storyline analyze --json`` prints it.

    Citations name the article by its record id, or by the input it came from.
    """
    # Imported here, not at the top: the API's schemas bring FastAPI, ~0.7 s of every command's start.
    from storyline.api.schemas import CitedSentence

    head: dict[str, Any] = {"id": record_id} if record_id is not None else {"input": origin}
    return {
        **head,
        "title": article.title,
        "entities": [{"name": e.name, "type": e.type.value, "aliases": list(e.aliases), "mentions": e.mentions,
                      **({"tied_to": e.tied_to} if e.tied_to else {})} for e in article.entities],
        "quotes": [{"text": q.text, "speaker": q.speaker, "speaker_as_written": q.speaker_as_written}
                   for q in article.quotes],
        "key_points": [CitedSentence.of(p).model_dump(mode="json") for p in article.key_points],
        "summary": [CitedSentence.of(s).model_dump(mode="json") for s in summary],
    }


@cli.command("analyze")
def analyze_command(
    paths: Annotated[list[Path], typer.Argument(help="Saved pages, text dumps or JSONL {id, title, text} (.gz too).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array, an object per article.")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line.")] = False,
) -> None:
    """Find the people, organisations and places of articles, who said what, key points and a cited summary."""
    configure_logging("warning")
    results: list[dict[str, Any]] = []
    failed = succeeded = 0
    for result in analyze_paths(paths):
        if isinstance(result, StorylineError):
            failed += 1
            err.print(f"[yellow]skipped[/yellow] {escape(str(result))}", highlight=False, soft_wrap=True)
            continue
        succeeded += 1
        record = analysis_json(*result)
        if as_jsonl:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif as_json:
            results.append(record)
        else:
            _print_readable(record)
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    if failed and not succeeded:
        raise typer.Exit(1)


def _print_readable(record: dict[str, Any]) -> None:
    out.print(f"[bold]{escape(record['title'])}[/bold]  ({escape(record.get('id') or record.get('input'))})",
              highlight=False)
    for kind in ("person", "organization", "place"):
        names = [e["name"] + (f" ({', '.join(e['aliases'])})" if e["aliases"] else "")
                 for e in record["entities"] if e["type"] == kind]
        if names:
            out.print(f"  {kind}: {escape('; '.join(names))}", highlight=False, soft_wrap=True)
    for quote in record["quotes"]:
        who = quote["speaker"] or quote["speaker_as_written"] or "?"
        out.print(f"  [dim]{escape(who)}:[/dim] “{escape(quote['text'][:200])}”", highlight=False, soft_wrap=True)
    for point in record["key_points"]:
        out.print(f"  • {escape(point['sentence'])}", highlight=False, soft_wrap=True)
    out.print()
