"""What every command shares: the root command, consoles, settings, errors, progress."""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from storyline import __version__
from storyline.app import Storyline, make_app
from storyline.config import Settings, load_settings
from storyline.errors import DiskFullError, StorylineError
from storyline.logs import configure_logging
from storyline.types import ImportReport

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

# What a terminal may act on: C0 controls but tab and line feed (ESC starts a sequence that
# can retitle the window, move the cursor, or write a link), DEL, C1 controls (U+009B is CSI
# on its own), and the bidi overrides that make text read other than it is stored.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """Outside text (titles, file names, errors) fit to print: terminal controls dropped, markup escaped."""
    return escape_markup(_UNPRINTABLE.sub("", text))


def json_text(value: object, **options: Any) -> str:
    """``value`` as JSON that is safe in a terminal: every control character written as ``\\uXXXX``.

    ``json.dumps`` escapes C0 controls but writes DEL, C1 controls and bidi overrides as they
    are; spelled as escapes they stay in the data (nothing is lost) and never reach the terminal.
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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


_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


@contextmanager
def handled() -> Iterator[None]:
    """Turn a StorylineError (or a full disk) into one line on stderr and exit code 1."""
    try:
        yield
    except StorylineError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, markup=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        # A write anywhere (a temporary file, a model unpacked) failed for want of space.
        full = DiskFullError(exc.filename or "a file being written", f"cannot be written ({exc.strerror})")
        err.print(f"[red]error:[/red] {escape(str(full))}", highlight=False, markup=True)
        raise typer.Exit(1) from None


def settings_of(ctx: typer.Context, **extra: str) -> Settings:
    obj = ctx.ensure_object(dict)
    with handled():
        settings = load_settings({**obj.get("overrides", {}), **extra}, config_file=obj.get("config"))
    configure_logging(settings.log_level if obj.get("verbose") else "warning")
    return settings


@contextmanager
def open_app(ctx: typer.Context, **extra: str) -> Iterator[Storyline]:
    settings = settings_of(ctx, **extra)
    with handled():
        app = make_app(settings)
        try:
            yield app
        finally:
            app.close()


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True,
    )


def run_import(app: Storyline, label: str, *, sample: bool, paths: list[Path]) -> ImportReport:
    with progress_bar() as progress:
        task = progress.add_task(label, total=0)

        def on_total(count: int) -> None:
            progress.update(task, total=(progress.tasks[0].total or 0) + count)

        def on_file(path: Path) -> None:
            progress.update(task, advance=1, description=f"{label} {escape(path.name)}")

        if sample:
            return app.load_sample(on_file=on_file, on_total=on_total)
        return app.import_paths(paths, on_file=on_file, on_total=on_total)


def print_report(report: ImportReport) -> None:
    for failure in report.failures:
        # Escaped: a file named "[red]x.txt" must be printed as it is, not read as markup.
        err.print(f"[yellow]skipped[/yellow] {escape(failure.origin)}: {escape(failure.reason)}",
                  highlight=False)
    for note in report.notes:
        err.print(f"[yellow]note[/yellow] {escape(note.origin)}: {escape(note.reason)}", highlight=False)
    err.print(
        f"{report.inserted} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.failures)} skipped", highlight=False,
    )

