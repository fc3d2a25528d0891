"""`storyline worker` and `storyline queue ...`: the refresh queue of a PostgreSQL Storyline."""

from __future__ import annotations

import json
import os
import socket
from typing import Annotated

import typer
from rich.table import Table

from storyline.cli.common import cli, err, escape, handled, open_app, out, settings_of
from storyline.logs import configure_logging

queue_cli = typer.Typer(help="The refresh queue (PostgreSQL with `queue = true`): pending, running, failed jobs.",
                        invoke_without_command=True)
cli.add_typer(queue_cli, name="queue")


@cli.command("worker")
def worker_command(
    ctx: typer.Context,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Refreshes at once [setting fetch_workers].")] = None,
    metrics_port: Annotated[int | None, typer.Option(min=0, max=65535,
                                                     help="Serve /metrics (Prometheus) on this port.")] = None,
) -> None:
    """Do queued source refreshes (fetch, extract, store, copies, stories) until stopped; start any number."""
    settings = settings_of(ctx)
    with open_app(ctx) as app, handled():
        # After open_app, which quiets logging to warnings as for a one-off command: a worker
        # is a service, and its log (one line per job, with its wait and time) is how it is watched.
        configure_logging(settings.log_level)
        if metrics_port is not None:
            app.serve_metrics(settings.host, metrics_port)
        err.print(f"Storyline worker {socket.gethostname()}:{os.getpid()} takes refreshes from the queue.",
                  highlight=False)
        app.run_worker(concurrency=concurrency, name=f"{socket.gethostname()}:{os.getpid()}")


@queue_cli.callback()
def queue_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """How many refreshes are pending, retrying, running and failed; the failed ones by source."""
    if ctx.invoked_subcommand is not None:
        return
    with open_app(ctx) as app, handled():
        counts = app.queue_counts()
        failed = app.queue_jobs("failed")
    if as_json:
        print(json.dumps({"pending": counts.pending, "retrying": counts.retrying, "running": counts.running,
                          "failed": counts.failed,
                          "failed_jobs": [{"job": job.id, "source_id": job.source_id, "attempts": job.attempts,
                                           "source": source.url if source else None,
                                           "error": source.health.last_error if source else None}
                                          for job, source in failed]}))
        return
    out.print(f"{counts.pending} pending · {counts.retrying} waiting to retry · {counts.running} running · "
              f"{counts.failed} failed", highlight=False)
    if failed:
        table = Table("job", "source", "attempts", "last error")
        for job, source in failed:
            table.add_row(str(job.id), escape(source.url if source else f"source {job.source_id} (removed)"),
                          str(job.attempts), escape((source.health.last_error or "") if source else ""))
        out.print(table)
        out.print("Put them back on the queue with `storyline queue retry` (all) or `storyline queue retry JOB`.",
                  highlight=False)


@queue_cli.command("retry")
def queue_retry(
    ctx: typer.Context,
    jobs: Annotated[list[int] | None, typer.Argument(help="Failed job ids (default: every failed job).")] = None,
) -> None:
    """Put failed refreshes back on the queue, to run at once."""
    with open_app(ctx) as app, handled():
        retried = app.retry_refreshes(jobs or None)
    err.print(f"{retried} failed refreshes are back on the queue.", highlight=False)
