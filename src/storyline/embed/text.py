"""What of an article gets embedded."""

from __future__ import annotations

import re

__all__ = ["LEAD_CHARS", "embedding_text"]

# The model reads 128 word pieces and drops the rest. English news runs about 4.5 characters
# a piece, so title + ~600 characters of lead fill the window; cutting here, not in the
# tokenizer, keeps hashing and tokenising a 20,000-character body from costing anything.
LEAD_CHARS = 600
_SPACE = re.compile(r"\s+")


def embedding_text(title: str | None, text: str | None) -> str:
    """The title, then the lead of the body, as one line of at most ~``LEAD_CHARS`` + title characters.

    The title says what the story is about in the fewest words, and the lead (the inverted
    pyramid's top) says the rest of who, what, where; later paragraphs would fall past the
    model's 128 tokens anyway. A body that repeats the title at its start is not read twice.
    """
    title = _SPACE.sub(" ", title or "").strip()
    body = _SPACE.sub(" ", text or "").strip()
    if title and body.casefold().startswith(title.casefold()):
        body = body[len(title) :].lstrip(" .:-–—")
    if len(body) > LEAD_CHARS:
        cut = body.rfind(" ", 0, LEAD_CHARS)  # end on a whole word: half a word is a different token
        body = body[: cut if cut > LEAD_CHARS // 2 else LEAD_CHARS]
    if title and body:
        separator = " " if title[-1] in ".!?:" else ". "
        return title + separator + body
    return title or body
