"""`storyline dedupe`: duplicates and syndication groups over a JSONL file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from storyline.app import dedupe_records, read_records
from storyline.cli.common import cli, err, escape, handled, json_text
from storyline.errors import RecordError, StorylineError


@cli.command("dedupe")
def dedupe_command(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl", help="Records {id, title, text, url?, source?, "
                                                                          "published?, credits?}.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write {id, duplicate_of, syndication_group, "
                                                     "original_id} per record.")],
) -> None:
    """Find duplicates and wire-copy groups in a JSONL file, crediting each group's original."""
    started = time.perf_counter()
    written = failed = 0
    with handled():
        records = read_records(input_path)
        good = []
        for origin, record in records:
            if isinstance(record, RecordError):
                failed += 1
                err.print(f"[yellow]skipped[/yellow] {escape(str(record))}", highlight=False)
            else:
                good.append((origin, record))
        try:
            handle = out.open("w", encoding="utf-8")
        except OSError as exc:
            raise StorylineError(str(out), f"cannot write the output ({exc.strerror})") from exc
        with handle:
            for outcome in dedupe_records(good):
                if isinstance(outcome, RecordError):
                    failed += 1
                    err.print(f"[yellow]skipped[/yellow] {escape(str(outcome))}", highlight=False)
                    continue
                handle.write(json_text(outcome.as_json()) + "\n")
                written += 1
    seconds = time.perf_counter() - started
    err.print(f"{written} records written to {escape(str(out))}, {failed} skipped, "
              f"{written / seconds if seconds else 0:.0f} records/s", highlight=False)
    if failed and not written:
        raise typer.Exit(1)
