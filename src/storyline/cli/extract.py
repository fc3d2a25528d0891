"""`storyline extract` and `storyline reprocess`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from storyline.app import extract_paths
from storyline.cli.common import cli, err, escape, json_text, open_app, out, print_report, progress_bar
from storyline.errors import StorylineError
from storyline.logs import configure_logging
from storyline.types import ExtractedArticle


def _extracted_json(article: ExtractedArticle, source: str) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat().replace("+00:00", "Z") if moment else None

    return {
        "input": source,
        "title": article.title,
        "text": article.text,
        "authors": list(article.authors),
        "published": when(article.published),
        "updated": when(article.updated),
        "language": article.language,
        "site_name": article.outlet,
        "canonical_url": article.canonical_url,
        "url": article.url,
        "description": article.description,
        "image": article.image,
        "credits": list(article.credits),
        "dateline": article.dateline,
        "word_count": len(article.text.split()),
        "related": [
            {"title": r.title, "source": r.outlet, "published": when(r.published), "text": r.text,
             "credits": list(r.credits), "dateline": r.dateline}
            for r in article.related
        ],
    }


@cli.command("extract")
def extract_command(
    paths: Annotated[list[Path], typer.Argument(help="Saved pages, text dumps or JSONL (.gz too).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array of results.")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line.")] = False,
    captured_at: Annotated[
        str | None,
        typer.Option(help="When the pages were saved (ISO 8601), for relative times; default file time."),
    ] = None,
) -> None:
    """Extract articles (text, metadata, credits, related articles) without storing them."""
    configure_logging("warning")
    when = None
    if captured_at:
        try:
            when = datetime.fromisoformat(captured_at.replace("Z", "+00:00"))
        except ValueError:
            err.print(f"error: --captured-at {escape(captured_at)!r} is not an ISO 8601 time", highlight=False)
            raise typer.Exit(2) from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    results: list[dict[str, Any]] = []
    failed = succeeded = 0
    for result in extract_paths(paths, captured_at=when):
        if isinstance(result, StorylineError):
            failed += 1
            err.print(f"[yellow]skipped[/yellow] {escape(str(result))}", highlight=False, soft_wrap=True)
            continue
        succeeded += 1
        record = _extracted_json(result, result.origin)
        if as_jsonl:
            sys.stdout.write(json_text(record) + "\n")
        elif as_json:
            results.append(record)
        else:
            out.print(f"[bold]{escape(result.title)}[/bold]  ({escape(result.origin)})", highlight=False)
            facts = [result.outlet, when_text(result.published), result.language,
                     "credits " + ", ".join(result.credits) if result.credits else None,
                     f"{len(result.related)} related" if result.related else None]
            out.print(" · ".join(escape(f) for f in facts if f), highlight=False)
            out.print(escape(result.text[:600] + ("…" if len(result.text) > 600 else "")), highlight=False)
            out.print()
    if as_json:
        sys.stdout.write(json_text(results, indent=2) + "\n")
    if failed and not succeeded:
        raise typer.Exit(1)


def when_text(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else None


@cli.command("reprocess")
def reprocess_command(ctx: typer.Context) -> None:
    """Extract every kept page again (after an upgrade) and update its article."""
    with open_app(ctx) as app, progress_bar() as progress:
        task = progress.add_task("Reprocessing", total=None)
        report = app.reprocess(on_page=lambda _origin: progress.advance(task))
    print_report(report)
    if report.failures and report.seen == 0:
        raise typer.Exit(1)

