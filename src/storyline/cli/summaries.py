"""`storyline summarize` (stories given as JSONL records) and `storyline story ID` (a stored story)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from storyline.app import MovedStory, Record, make_app, summarize_records
from storyline.cli.common import cli, err, escape, handled, json_text, out, settings_of
from storyline.cli.stories import records_of
from storyline.errors import StorylineError


def _cited(sentence: Any) -> dict[str, Any]:
    # Imported here, not at the top: the API's schemas bring FastAPI, ~0.7 s of every command's start.
    from storyline.api.schemas import CitedSentence

    return CitedSentence.of(sentence).model_dump(mode="json")


@cli.command("summarize")
def summarize_command(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl",
                                               help="Records {id, story, title, text, published?, source?}.")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write {story, summary} per story.")],
    max_words: Annotated[int | None, typer.Option(
        "--max-words", min=1, max=10_000,
        help="Fill each summary up to this many words (to compare with reference summaries of that length).")] = None,
) -> None:
    """Summarise stories given as records: each sentence cites the records and sentences it comes from."""
    started = time.perf_counter()
    stories: dict[str, list[Record]] = {}
    written = failed = 0
    with handled():
        records, stories_of, skipped = records_of(input_path, "story")
        for record, story in zip(records, stories_of, strict=True):
            stories.setdefault(story, []).append(record)
        try:
            handle = out_path.open("w", encoding="utf-8")
        except OSError as exc:
            raise StorylineError(str(out_path), f"cannot write the output ({exc.strerror})") from exc
        with handle:
            for result in summarize_records(stories, max_words=max_words):
                if isinstance(result, StorylineError):
                    failed += 1
                    err.print(f"[yellow]skipped[/yellow] {escape(str(result))}", highlight=False)
                    continue
                story, summary = result
                handle.write(json.dumps({"story": story, "summary": [_cited(s) for s in summary]},
                                        ensure_ascii=False) + "\n")
                written += 1
    seconds = time.perf_counter() - started
    err.print(f"{written} stories summarised from {len(records)} records, {skipped + failed} skipped; "
              f"{seconds:.1f} s", highlight=False)
    if not written:
        raise typer.Exit(1)


@cli.command("story")
def story_command(
    ctx: typer.Context,
    story_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The story's id (as the web app shows it).")],
    as_json: Annotated[bool, typer.Option("--json", help="The story as the API gives it.")] = False,
) -> None:
    """A stored story: its cited summary, what each report added, who said what, who is involved."""
    with handled():
        app = make_app(settings_of(ctx))
        try:
            found = app.find_story(story_id)
            if isinstance(found, MovedStory):
                err.print(f"story {story_id} was merged into story {found.story_id}", highlight=False)
                found = app.story(found.story_id)
            if found is None:
                raise StorylineError(f"story {story_id}", "there is no such story",
                                     hint="`storyline articles` lists articles with their stories.")
            from storyline.api.schemas import StoryDetail  # late, as in _cited

            detail = StoryDetail.of(found)
        finally:
            app.close()
    if as_json:
        sys.stdout.write(json_text(detail.model_dump(mode="json")) + "\n")
        return
    out.print(f"[bold]{escape(detail.title)}[/bold]  (story {detail.id}, {len(detail.reports)} reports, "
              f"{len(detail.outlets)} outlets)", highlight=False)
    outlets = {a.id: a.outlet or "?" for a in detail.timeline}
    out.print("\n[bold]Summary[/bold]")
    for sentence in detail.summary:
        sources = ", ".join(f"{outlets.get(c.id, c.id)} #{c.id}.{c.index}" for c in sentence.cites)
        out.print(f"  • {escape(sentence.sentence)} [dim]({escape(sources)})[/dim]", highlight=False, soft_wrap=True)
    out.print("\n[bold]Timeline[/bold]")
    for entry in detail.developments:
        when = entry.time.strftime("%Y-%m-%d %H:%M") if entry.time else "undated"
        for sentence in entry.added:
            out.print(f"  {when} {escape(str(outlets.get(entry.article, '?')))}: {escape(sentence.sentence)}",
                      highlight=False, soft_wrap=True)
    if detail.quotes:
        out.print("\n[bold]Who said what[/bold]")
        for speaker, quotes in list(detail.quotes.items())[:8]:
            for quote in quotes[:2]:
                out.print(f"  {escape(speaker)}: “{escape(quote.text[:200])}”", highlight=False, soft_wrap=True)
    if detail.entities:
        out.print("\n[bold]Involved[/bold]")
        for kind in ("person", "organization", "place"):
            names = [e.name for e in detail.entities if e.type == kind][:10]
            if names:
                out.print(f"  {kind}: {escape(', '.join(names))}", highlight=False, soft_wrap=True)
