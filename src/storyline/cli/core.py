"""Core commands: import, sample, articles, stats, serve, db, settings."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from storyline import __version__
from storyline.app import make_app
from storyline.cli.common import (
    articles_cli,
    cli,
    db_cli,
    err,
    escape,
    handled,
    json_text,
    open_app,
    out,
    print_report,
    run_import,
    sample_cli,
    settings_of,
)
from storyline.config import SETTINGS, settings_markdown, shown_value
from storyline.errors import StorylineError
from storyline.logs import configure_logging
from storyline.types import StoredArticle


@cli.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (read recursively).")],
) -> None:
    """Import HTML, text and JSONL files ({title, text, url, source, published} per line)."""
    with open_app(ctx) as app:
        report = run_import(app, "Importing", sample=False, paths=paths)
    print_report(report)
    # Non-zero only when nothing at all could be done.
    if report.failures and report.seen == 0:
        raise typer.Exit(1)


@sample_cli.command("load")
def sample_load(ctx: typer.Context) -> None:
    """Load the bundled sample news (loading it twice stores it once)."""
    with open_app(ctx) as app:
        report = run_import(app, "Loading sample", sample=True, paths=[])
    print_report(report)
    if report.failures and report.seen == 0:
        raise typer.Exit(1)


@sample_cli.command("remove")
def sample_remove(ctx: typer.Context) -> None:
    """Delete the bundled sample's articles; your own articles stay."""
    with open_app(ctx) as app:
        removed = app.remove_sample()
    err.print(f"Removed {removed} sample articles.")


def _article_json(article: StoredArticle) -> dict[str, Any]:
    data = asdict(article)
    for key, value in data.items():
        if hasattr(value, "isoformat"):
            data[key] = value.isoformat().replace("+00:00", "Z")
    data["authors"] = list(article.authors)
    return data


@articles_cli.command("list")
def articles_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="How many articles.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many newest articles.")] = 0,
) -> None:
    """List articles, newest first."""
    with open_app(ctx) as app:
        rows = app.latest_articles(limit=limit, offset=offset)
    if as_json:
        for article in rows:
            sys.stdout.write(json_text(_article_json(article)) + "\n")
        return
    table = Table("id", "published", "outlet", "title", show_lines=False)
    for a in rows:
        # Titles like "[VIDEO] ..." or "[/]" are text, not rich markup.
        table.add_row(str(a.id), a.shown_time.strftime("%Y-%m-%d %H:%M"), escape(a.outlet or ""),
                      escape(a.title))
    out.print(table)


@articles_cli.command("show")
def articles_show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="Article id.")],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """Show one article."""
    with open_app(ctx) as app:
        article = app.article(article_id)
    if article is None:
        err.print(f"error: no article with id {article_id}. List ids with `storyline articles list`.")
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(json_text(_article_json(article), indent=2) + "\n")
        return
    out.print(f"[bold]{escape(article.title)}[/bold]", highlight=False)
    out.print(f"{escape(article.outlet or '')} · {article.shown_time:%Y-%m-%d %H:%M} UTC", highlight=False)
    out.print()
    out.print(escape(article.text), highlight=False)


@cli.command("stats")
def stats_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False
) -> None:
    """Counts over the store."""
    with open_app(ctx) as app:
        stats = app.stats()
        dialect = app.dialect
    data = {**asdict(stats), "database": dialect}
    if as_json:
        print(json.dumps(data, default=lambda v: v.isoformat().replace("+00:00", "Z")))
        return
    table = Table("what", "value")
    for key, value in data.items():
        table.add_row(key, "" if value is None else escape(str(value)))
    out.print(table)


@cli.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Listen address [setting host].")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [setting port].")] = None,
) -> None:
    """Start the web app and keep sources fresh (loads the sample and starter feeds on a new store)."""
    import uvicorn

    from storyline.web import create_asgi

    extra = {k: str(v) for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings_of(ctx, **extra)
    configure_logging(settings.log_level)
    with handled():
        app = make_app(settings)
    try:
        if settings.load_sample and app.count_articles() == 0:
            report = run_import(app, "Loading sample", sample=True, paths=[])
            err.print(f"Loaded the bundled sample: {report.inserted} articles.")
        starters = app.load_starter_feeds_if_empty()
        if starters:
            err.print(f"Subscribed to {starters} starter feeds (see /sources; remove any with "
                      "`storyline sources remove`).")
        stats = app.stats()
        err.print(
            f"Storyline {__version__} · {stats.articles} articles · {stats.sources} sources · {app.dialect}",
            highlight=False,
        )
        app.start_scheduler()
        out.print(f"Storyline is running at http://{settings.host}:{settings.port}", highlight=False)
        uvicorn.run(create_asgi(app), host=settings.host, port=settings.port,
                    log_level="warning", access_log=False)
    except StorylineError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        app.close()


@db_cli.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema to this version (opening the store does it too)."""
    with open_app(ctx) as app:
        err.print(f"Database ({app.dialect}) is at the latest schema.")


@cli.command("settings")
def settings_command(
    ctx: typer.Context,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/configuration.md.")] = False,
) -> None:
    """Show every setting with its current value and where to set it."""
    if markdown:
        sys.stdout.write(settings_markdown())
        return
    settings = settings_of(ctx)
    table = Table("setting", "value", "environment variable", "help")
    for s in SETTINGS:
        table.add_row(s.name, escape(shown_value(settings, s.name)), s.env_var, escape(s.help))
    out.print(table)
