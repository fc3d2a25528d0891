"""`storyline sources ...`, `storyline opml ...` and `storyline fetch`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from storyline.app import RefreshResult
from storyline.cli.common import cli, err, escape, json_text, open_app, out, progress_bar
from storyline.types import Source

sources_cli = typer.Typer(help="Your news sources: feeds, sitemaps, article URLs.", no_args_is_help=True)
opml_cli = typer.Typer(help="Subscriptions in and out as OPML.", no_args_is_help=True)
cli.add_typer(sources_cli, name="sources")
cli.add_typer(opml_cli, name="opml")


def _source_json(source: Source) -> dict[str, object]:
    h = source.health

    def when(moment: object) -> object:
        return moment.isoformat().replace("+00:00", "Z") if moment is not None else None

    return {
        "id": source.id, "kind": source.kind.value, "url": source.url, "title": source.title,
        "folder": source.folder, "site_url": source.site_url,
        "last_fetched_at": when(h.last_fetched_at), "last_status": h.last_status, "last_error": h.last_error,
        "consecutive_failures": h.consecutive_failures, "paused": h.paused, "items_per_day": h.items_per_day,
        "latency_ms": h.latency_ms, "next_fetch_at": when(h.next_fetch_at),
    }


def _state(source: Source) -> str:
    h = source.health
    if h.paused:
        return "[red]paused[/red]"
    if h.last_error:
        return f"[yellow]failing ×{h.consecutive_failures}[/yellow]"
    if h.last_fetched_at is None:
        return "new"
    return "[green]ok[/green]"


@sources_cli.command("add")
def sources_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="A feed, sitemap, homepage (its feed is found) or article URL.")],
    folder: Annotated[str | None, typer.Option(help="Folder to file it in.")] = None,
) -> None:
    """Subscribe to a source; a homepage is searched for its feed."""
    with open_app(ctx) as app:
        source = app.add_source(url, folder=folder)
    out.print(f"Added {source.kind.value} {escape(source.url)} (id {source.id})", highlight=False)


@sources_cli.command("list")
def sources_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False
) -> None:
    """Every source with its health."""
    with open_app(ctx) as app:
        rows = app.sources()
    if as_json:
        for source in rows:
            sys.stdout.write(json_text(_source_json(source)) + "\n")
        return
    table = Table("id", "state", "kind", "folder", "title", "last error")
    for s in rows:
        table.add_row(str(s.id), _state(s), s.kind.value, escape(s.folder or ""), escape(s.title),
                      escape((s.health.last_error or "")[:80]))
    out.print(table)


@sources_cli.command("remove")
def sources_remove(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Id, URL or title.")]) -> None:
    """Unsubscribe; articles already stored stay."""
    with open_app(ctx) as app:
        removed = app.remove_source(source)
    if removed is None:
        err.print(f"error: no source {escape(source)!r}. See `storyline sources list`.", highlight=False)
        raise typer.Exit(1)
    out.print(f"Removed {escape(removed.url)}", highlight=False)


@sources_cli.command("resume")
def sources_resume(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Id, URL or title.")]) -> None:
    """Fetch a paused source again."""
    with open_app(ctx) as app:
        resumed = app.resume_source(source)
    if resumed is None:
        err.print(f"error: no source {escape(source)!r}. See `storyline sources list`.", highlight=False)
        raise typer.Exit(1)
    out.print(f"Resumed {escape(resumed.url)}", highlight=False)


@opml_cli.command("import")
def opml_import(ctx: typer.Context, path: Annotated[Path, typer.Argument(help="An OPML file.")]) -> None:
    """Subscribe to every feed in an OPML file (folders kept)."""
    with open_app(ctx) as app:
        result = app.import_opml(path)
    for failure in result.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(failure.origin)}: {escape(failure.reason)}", highlight=False)
    not_taken = f", {len(result.skipped)} outlines not taken or changed (above)" if result.skipped else ""
    out.print(f"{len(result.added)} sources added, {result.existing} already there{not_taken}.")


@opml_cli.command("export")
def opml_export(ctx: typer.Context) -> None:
    """Print your subscriptions as OPML."""
    with open_app(ctx) as app:
        sys.stdout.write(app.export_opml())


@cli.command("fetch")
def fetch_command(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(help="Id, URL or title of one source.")] = None,
    fetch_all: Annotated[bool, typer.Option("--all", help="Every source, due or not (paused too).")] = False,
) -> None:
    """Fetch sources once now: the due ones, every one (--all), or one."""
    with open_app(ctx) as app:
        if source is not None:
            found = app.find_source(source)
            if found is None:
                err.print(f"error: no source {escape(source)!r}. See `storyline sources list`.", highlight=False)
                raise typer.Exit(1)
            targets = [found]
        elif fetch_all:
            targets = [s for s in app.sources() if s.kind.value in ("feed", "sitemap", "page")]
        else:
            targets = app.due_sources()
        results: list[RefreshResult] = []
        with progress_bar() as progress:
            task = progress.add_task("Fetching", total=len(targets))
            results = app.fetch(targets, on_done=lambda _r: progress.advance(task))
    titles = {s.id: s.title for s in targets}
    table = Table("id", "source", "status", "items", "new", "updated", "ms", "error")
    for r in sorted(results, key=lambda r: r.source_id):
        status = "304" if r.not_modified else str(r.status or "-")
        # Titles tell sources apart where cut URLs would not (many feeds share a host).
        name = titles.get(r.source_id) or r.url
        table.add_row(str(r.source_id), escape(name[:50]), status, str(r.items), str(r.report.inserted),
                      str(r.report.updated), str(r.elapsed_ms), escape((r.error or "")[:60]))
    out.print(table)
    # The table cuts and wraps errors to fit; each one in full, on one line, says what to do.
    for r in sorted(results, key=lambda r: r.url):
        if r.error:
            err.print(f"[red]error:[/red] {escape(r.url)}: {escape(r.error)}", highlight=False)
    failed = sum(1 for r in results if r.error)
    out.print(f"{len(results)} sources fetched, {failed} failed, "
              f"{sum(r.report.inserted for r in results)} new articles.")
    if targets and failed == len(results):
        raise typer.Exit(1)
