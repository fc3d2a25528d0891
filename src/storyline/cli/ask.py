"""`storyline ask`: a question asked of a stored story, answered with cited sentences or "I don't know"."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from storyline.app import make_app
from storyline.cli.common import cli, escape, handled, json_text, out, settings_of
from storyline.errors import StorylineError


@cli.command("ask")
def ask_command(
    ctx: typer.Context,
    story_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The story's id (as the web app shows it).")],
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="The answer as the API gives it.")] = False,
) -> None:
    """Ask a stored story a question: the sentences of its reports that answer it, each cited, or "I don't know"."""
    # Imported here, not at the top: the API's schemas bring FastAPI, ~0.7 s of every command's start.
    from storyline.api.schemas import AnswerOut

    with handled():
        app = make_app(settings_of(ctx))
        try:
            asked = app.ask(story_id, question)
            if asked is None:
                raise StorylineError(f"story {story_id}", "there is no such story",
                                     hint="`storyline articles` lists articles with their stories.")
            answer = AnswerOut.of(asked)
            outlets = {a_id: a.outlet or "?" for a_id, a in asked.articles.items()}
        finally:
            app.close()
    if as_json:
        sys.stdout.write(json_text(answer.model_dump(mode="json")) + "\n")
        return
    if not answer.known:
        out.print("I don't know: nothing in the story's reports answers that.", highlight=False)
        return
    for sentence in answer.answer:
        sources = ", ".join(f"{outlets.get(c.id, '?')} #{c.id}.{c.index}" for c in sentence.cites)
        out.print(f"• {escape(sentence.sentence)} [dim]({escape(sources)})[/dim]",
                  highlight=False, soft_wrap=True)
    if answer.method != "extractive":
        model = escape(answer.method[4:])
        out.print(f"[dim]written by {model}, every sentence checked against its sources[/dim]", highlight=False)
