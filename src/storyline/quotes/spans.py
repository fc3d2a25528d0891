"""Where direct quotes are: quotation marks paired, straight or curly, over sentences and paragraphs.

The order:

1. every quotation mark is read as opening, closing or neither by what is on each side: an
   opening mark follows a space, a bracket or a dash and comes before a word; a closing mark
   follows a word or punctuation and comes before a space, punctuation or the end; a mark
   between two letters is an apostrophe ("Russia's"), as is a single mark after a plural
   "s" when no single quote is open ("the leaders' summit");
2. double marks (" “ ” „ « ») pair with double, single marks (' ‘ ’ ‹ ›) with single; a
   straight mark and a curly one pair ("‘coming days'"); a quote inside a quote is part of it;
3. a quote still open at the end of a paragraph goes on when the next paragraph opens with a
   mark of its kind (the news convention for a quote over several paragraphs); otherwise it is
   dropped: an unbalanced mark says nothing certain;
4. what is kept is a direct quote when it holds at least ``MIN_WORDS`` words and is not a
   title in title case ("Star Wars: The Force Awakens").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MIN_WORDS", "QuoteSpan", "find_quote_spans"]

MIN_WORDS = 3
_DOUBLE = frozenset("\"“”„«»")
_SINGLE = frozenset("'‘’‹›")
_OPEN_BEFORE = frozenset(" \n\t([{—–-/:")
_CLOSE_AFTER = frozenset(" \n\t.,;:!?)]}—–-…")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_MAX_QUOTE_CHARS = 20_000  # longer than any quote: a mark left open over a whole document


@dataclass(frozen=True, slots=True)
class QuoteSpan:
    """A quote's words at ``start:end`` (marks excluded); ``open_at``/``close_at`` are its outer marks."""

    start: int
    end: int
    open_at: int
    close_at: int


def _role(text: str, i: int) -> str | None:
    """ "open", "close" or None (an apostrophe, a prime, a stray mark) for the mark at ``text[i]``."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isalnum() and after.isalnum():
        return None  # an apostrophe: Russia's, don't
    can_open = (before in _OPEN_BEFORE or before in _DOUBLE or before in _SINGLE) and not after.isspace()
    can_close = (not before.isspace()) and (after in _CLOSE_AFTER or after in _DOUBLE or after in _SINGLE)
    if can_open and not can_close:
        return "open"
    if can_close and not can_open:
        return "close"
    if can_open and can_close:  # "—'" between a dash and a word: an opening
        return "open" if before in _OPEN_BEFORE else "close"
    return None


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(r"\n\s*\n|\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


_MARK = re.compile("[" + re.escape("".join(sorted(_DOUBLE | _SINGLE))) + "]")


def _marks(text: str, start: int, end: int) -> list[tuple[int, str, str]]:
    """(position, kind, role) of the quotation marks in ``text[start:end]``."""
    marks = []
    for match in _MARK.finditer(text, start, end):
        i = match.start()
        role = _role(text, i)
        if role is not None:
            marks.append((i, "double" if text[i] in _DOUBLE else "single", role))
    return marks


def find_quote_spans(text: str) -> list[QuoteSpan]:
    """The direct quotes of ``text``, in order (rules 1-4 of the module's docstring)."""
    spans: list[QuoteSpan] = []
    paragraphs = _paragraphs(text)
    pending: tuple[int, str] | None = None  # a quote open at the end of the previous paragraph
    for number, (p_start, p_end) in enumerate(paragraphs):
        marks = _marks(text, p_start, p_end)
        opened: tuple[int, str] | None = None
        if pending is not None:
            first = marks[0] if marks else None
            if first is not None and first[0] == p_start and first[1] == pending[1] and first[2] == "open":
                opened = pending  # rule 3: the quote goes on in this paragraph
                marks = marks[1:]
            pending = None
        for position, kind, role in marks:
            if opened is None:
                if role == "open":
                    opened = (position, kind)
                continue
            if kind != opened[1]:
                continue  # a quote inside the quote
            if role == "close":
                _keep(text, opened[0], position, spans)
                opened = None
            elif role == "open" and kind == "double":
                opened = (position, kind)  # a double mark opening again: the earlier one was stray
        if opened is not None and number + 1 < len(paragraphs) and p_end - opened[0] < _MAX_QUOTE_CHARS:
            pending = opened
    return spans


def _keep(text: str, open_at: int, close_at: int, spans: list[QuoteSpan]) -> None:
    start, end = open_at + 1, close_at
    inner = text[start:end]
    words = _WORD.findall(inner)
    if len(words) < MIN_WORDS:
        return
    capitalised = sum(1 for w in words if w[:1].isupper())
    if len(words) <= 8 and capitalised / len(words) > 0.7 and not inner.rstrip().endswith((".", "!", "?", ",")):
        return  # a title of a work or a name in quotes, not somebody's words
    spans.append(QuoteSpan(start, end, open_at, close_at + 1))
