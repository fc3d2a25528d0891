"""The ``storyline`` command line: one module per group of commands, all on one root."""

from storyline.cli import analyze, ask, core, dedupe, extract, queue, sources, stories, summaries  # noqa: F401 - importing registers their commands
from storyline.cli.common import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the ``storyline`` console script."""
    cli()
