"""The ``storyline`` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from storyline import __version__
from storyline.app import Storyline, extract_paths, make_app
from storyline.config import SETTINGS, Settings, load_settings, settings_markdown
from storyline.errors import StorylineError
from storyline.logs import configure_logging
from storyline.types import ExtractedArticle, ImportReport, StoredArticle

cli = typer.Typer(
    name="storyline",
    help="Storyline: a self-hosted news aggregator. Run `storyline serve` to start it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
articles_cli = typer.Typer(help="Read stored articles.", no_args_is_help=True)
sample_cli = typer.Typer(help="The bundled sample news.", no_args_is_help=True)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
cli.add_typer(articles_cli, name="articles")
cli.add_typer(sample_cli, name="sample")
cli.add_typer(db_cli, name="db")

out = Console()
# soft_wrap: an error or skipped-file line stays one line, whatever the terminal width.
err = Console(stderr=True, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        print(f"storyline {__version__}")
        raise typer.Exit()


@cli.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data folder [env STORYLINE_HOME].")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL [env STORYLINE_DATABASE_URL].")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Config file (TOML) [env STORYLINE_CONFIG].")
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME=VALUE", help="Set any setting (see `storyline settings`)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress events.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    overrides: dict[str, str] = {}
    for item in setting or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--setting")
        overrides[name.strip()] = value
    if home is not None:
        overrides["home"] = str(home)
    if database_url is not None:
        overrides["database_url"] = database_url
    ctx.obj = {"overrides": overrides, "config": config, "verbose": verbose}


@contextmanager
def _handled() -> Iterator[None]:
    """Turn a StorylineError into one line on stderr and exit code 1."""
    try:
        yield
    except StorylineError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, markup=True)
        raise typer.Exit(1) from None


def _settings(ctx: typer.Context, **extra: str) -> Settings:
    obj = ctx.ensure_object(dict)
    with _handled():
        settings = load_settings({**obj.get("overrides", {}), **extra}, config_file=obj.get("config"))
    configure_logging(settings.log_level if obj.get("verbose") else "warning")
    return settings


@contextmanager
def _app(ctx: typer.Context, **extra: str) -> Iterator[Storyline]:
    settings = _settings(ctx, **extra)
    with _handled():
        app = make_app(settings)
        try:
            yield app
        finally:
            app.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True,
    )


def _run_import(app: Storyline, label: str, *, sample: bool, paths: list[Path]) -> ImportReport:
    with _progress() as progress:
        task = progress.add_task(label, total=0)

        def on_total(count: int) -> None:
            progress.update(task, total=(progress.tasks[0].total or 0) + count)

        def on_file(path: Path) -> None:
            progress.update(task, advance=1, description=f"{label} {path.name}")

        if sample:
            return app.load_sample(on_file=on_file, on_total=on_total)
        return app.import_paths(paths, on_file=on_file, on_total=on_total)


def _print_report(report: ImportReport) -> None:
    for failure in report.failures:
        # Escaped: a file named "[red]x.txt" must be printed as it is, not read as markup.
        err.print(f"[yellow]skipped[/yellow] {escape(failure.origin)}: {escape(failure.reason)}",
                  highlight=False)
    err.print(
        f"{report.inserted} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.failures)} skipped", highlight=False,
    )


@cli.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (read recursively).")],
) -> None:
    """Import HTML, text and JSONL files ({title, text, url, source, published} per line)."""
    with _app(ctx) as app:
        report = _run_import(app, "Importing", sample=False, paths=paths)
    _print_report(report)
    # Non-zero only when nothing at all could be done.
    if report.failures and report.seen == 0:
        raise typer.Exit(1)


@sample_cli.command("load")
def sample_load(ctx: typer.Context) -> None:
    """Load the bundled sample news (loading it twice stores it once)."""
    with _app(ctx) as app:
        report = _run_import(app, "Loading sample", sample=True, paths=[])
    _print_report(report)
    if report.failures and report.seen == 0:
        raise typer.Exit(1)


@sample_cli.command("remove")
def sample_remove(ctx: typer.Context) -> None:
    """Delete the bundled sample's articles; your own articles stay."""
    with _app(ctx) as app:
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
    with _app(ctx) as app:
        rows = app.store.latest_articles(limit=limit, offset=offset)
    if as_json:
        for article in rows:
            sys.stdout.write(json.dumps(_article_json(article), ensure_ascii=False) + "\n")
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
    with _app(ctx) as app:
        article = app.article(article_id)
    if article is None:
        err.print(f"error: no article with id {article_id}. List ids with `storyline articles list`.")
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(json.dumps(_article_json(article), ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"[bold]{escape(article.title)}[/bold]", highlight=False)
    out.print(f"{escape(article.outlet or '')} · {article.shown_time:%Y-%m-%d %H:%M} UTC", highlight=False)
    out.print()
    out.print(article.text, highlight=False, markup=False)


@cli.command("stats")
def stats_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False
) -> None:
    """Counts over the store."""
    with _app(ctx) as app:
        stats = app.stats()
        dialect = app.store.dialect
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
    """Start the web app (and load the bundled sample on an empty store)."""
    import uvicorn

    from storyline.web import create_asgi

    extra = {k: str(v) for k, v in (("host", host), ("port", port)) if v is not None}
    settings = _settings(ctx, **extra)
    configure_logging(settings.log_level)
    with _handled():
        app = make_app(settings)
    try:
        if settings.load_sample and app.store.count_articles() == 0:
            report = _run_import(app, "Loading sample", sample=True, paths=[])
            err.print(f"Loaded the bundled sample: {report.inserted} articles.")
        stats = app.stats()
        err.print(
            f"Storyline {__version__} · {stats.articles} articles · {app.store.dialect}",
            highlight=False,
        )
        out.print(f"Storyline is running at http://{settings.host}:{settings.port}", highlight=False)
        uvicorn.run(create_asgi(app), host=settings.host, port=settings.port,
                    log_level="warning", access_log=False)
    except StorylineError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        app.close()


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
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
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
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    if failed and not succeeded:
        raise typer.Exit(1)


def when_text(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else None


@cli.command("reprocess")
def reprocess_command(ctx: typer.Context) -> None:
    """Extract every kept page again (after an upgrade) and update its article."""
    with _app(ctx) as app, _progress() as progress:
        task = progress.add_task("Reprocessing", total=None)
        report = app.reprocess(on_page=lambda _origin: progress.advance(task))
    _print_report(report)
    if report.failures and report.seen == 0:
        raise typer.Exit(1)


@db_cli.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema to this version (opening the store does it too)."""
    with _app(ctx) as app:
        err.print(f"Database ({app.store.dialect}) is at the latest schema.")


@cli.command("settings")
def settings_command(
    ctx: typer.Context,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/configuration.md.")] = False,
) -> None:
    """Show every setting with its current value and where to set it."""
    if markdown:
        sys.stdout.write(settings_markdown())
        return
    settings = _settings(ctx)
    table = Table("setting", "value", "environment variable", "help")
    for s in SETTINGS:
        table.add_row(s.name, escape(str(getattr(settings, s.name))), s.env_var, escape(s.help))
    out.print(table)


def main() -> None:
    """Entry point of the ``storyline`` console script."""
    cli()
