"""Docs stay honest: every CLI command and setting is documented; README opens with the two commands."""

from __future__ import annotations

from pathlib import Path

import typer.main

from storyline.cli import cli

REPO = Path(__file__).resolve().parents[1]


def _command_paths() -> list[str]:
    group = typer.main.get_command(cli)
    paths = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            paths.extend(f"{name} {sub}" for sub in subcommands)
        else:
            paths.append(name)
    return paths


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [p for p in _command_paths() if f"`storyline {p}" not in readme and f"`{p}" not in readme]
    assert _command_paths(), "no commands found"
    assert not missing, f"document these commands in README.md: {missing}"


def test_readme_opens_with_make_run_and_make_test() -> None:
    head = (REPO / "README.md").read_text(encoding="utf-8").splitlines()[:10]
    text = "\n".join(head)
    assert "make run" in text
    assert "make test" in text


def test_docs_pages_linked_from_readme_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in ("install", "configuration", "operate", "api", "import"):
        assert f"docs/{page}.md" in readme
        assert (REPO / "docs" / f"{page}.md").is_file()
