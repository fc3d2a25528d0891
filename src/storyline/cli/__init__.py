"""The ``storyline`` command line: one module per group of commands, all on one root."""

from storyline.cli import core, extract, sources  # noqa: F401 - importing registers each module's commands
from storyline.cli.common import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the ``storyline`` console script."""
    cli()
