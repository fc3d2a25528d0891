"""Aggregator text dumps: the main article, and the related articles printed under it.

A text dump is the plain text of a scraped news-aggregator page. It prints each article's
title twice, the outlet, a relative time glued to an icon's name ("time11 minutes ago"),
the outlet again as a bullet, then the body; around them sit UI boxes (AI features,
comments, app badges), and inside the bodies sit the headlines of other stories. The
patterns for all of that are data, in :mod:`storyline.extract.dump_patterns`.

Order of work in :func:`extract_text_dump`:

1. lines: newlines normalised, control characters and blank lines dropped, furniture
   lines (share bars, logos, newsletter prompts) dropped wherever they are;
2. the main header: the first line printed twice before the body ends, with the outlet
   and relative time around it (turned into UTC from the capture time);
3. the main body: up to the first line that ends it (comments, feature boxes, related
   articles, legal footer);
4. related articles: after the related-articles marker up to the line that closes the
   page (comments, feature boxes, app promotion, legal footer), split at each header;
5. each body, line by line: other stories' headlines dropped, sub-headings kept as
   ``## `` paragraphs, headlines glued inside a paragraph cut out (rules A-C below);
6. dateline and credits read from each finished text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

from storyline.errors import ExtractError
from storyline.extract import dump_patterns as dp
from storyline.extract.credits import find_credits, find_dateline
from storyline.types import ExtractedArticle

__all__ = ["extract_text_dump", "looks_like_text_dump"]

# C0 controls (but tab and newlines), DEL and BOMs are scraping debris, never text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe]")
_WORD = re.compile(r"\S+")
# A word a headline can end on: letters or digits, no trailing punctuation ("EU", "Armenia", "40").
_PLAIN_WORD = re.compile(r"\w(?:[\w'’.&-]*\w)?")
# Furniture and markers are short; longer lines are text whatever they start with.
_SHORT_LINE = 300
_TRIM = "'‘’\"“”,;:()[]"


@dataclass(frozen=True, slots=True)
class _Header:
    """An article's header in the dump: where it starts, what it says, where its body starts."""

    start: int
    title: str
    outlet: str | None
    published: datetime | None
    end: int


def looks_like_text_dump(text: str) -> bool:
    """Whether ``text`` reads like a scraped aggregator page; looks only at its head and tail."""
    n = dp.DUMP_SCAN_CHARS
    sample = text if len(text) <= 2 * n else text[:n] + "\n" + text[-n:]
    if dp.HTML_MARKUP.search(sample):
        return False
    lines = [line.strip() for line in sample.splitlines() if line.strip()]
    short = [line for line in lines if len(line) <= _SHORT_LINE]
    score = sum(weight for pattern, weight in dp.DUMP_SIGNALS if any(map(pattern.fullmatch, short)))
    # The title printed twice at the top is the other habit of these pages.
    if any(lines[i] == lines[i + 1] for i in range(min(5, len(lines) - 1))):
        score += 1
    return score >= dp.DUMP_SCORE_MIN


def extract_text_dump(text: str, *, origin: str, captured_at: datetime) -> ExtractedArticle:
    """The main article of an aggregator text dump, with the related articles it prints in ``related``.

    Relative times ("time11 minutes ago") are read against ``captured_at`` into UTC. Raises
    ExtractError when the dump holds no article text.
    """
    now = captured_at.replace(tzinfo=UTC) if captured_at.tzinfo is None else captured_at.astimezone(UTC)
    lines = _page_lines(text)
    header = _main_header(lines, now)
    if header is None:
        raise ExtractError(origin, "no article title or text in the text dump")
    main_end = _first(lines, header.end, len(lines), _ends_body)
    body = _body_text(lines[header.end:main_end], header)
    if not body:
        raise ExtractError(origin, "no article text in the text dump, only page furniture")
    related = tuple(_related_articles(lines, main_end, now, origin))
    return _article(origin, header, body, related)


# -- lines and zones ------------------------------------------------------------------------------


def _page_lines(text: str) -> list[str]:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (line.strip() for line in text.split("\n"))
    return [line for line in lines if line and not _matches(dp.FURNITURE_LINES, line)]


def _matches(pattern: re.Pattern[str], line: str) -> bool:
    return len(line) <= _SHORT_LINE and pattern.fullmatch(line) is not None


def _ends_body(line: str) -> bool:
    # App promotion does not end the main body: apps are promoted mid-article too.
    return any(_matches(p, line) for p in (
        dp.COMMENT_LINES, dp.FEATURE_BOX_LINES, dp.RELATED_MARKERS, dp.LEGAL_LINES))


def _closes_page(line: str) -> bool:
    return any(_matches(p, line) for p in (
        dp.COMMENT_LINES, dp.FEATURE_BOX_LINES, dp.APP_LINES, dp.LEGAL_LINES))


def _first(lines: list[str], start: int, stop: int, test: Callable[[str], bool]) -> int:
    """The index of the first line in ``lines[start:stop]`` passing ``test``, else ``stop``."""
    return next((i for i in range(start, stop) if test(lines[i])), stop)


# -- headers --------------------------------------------------------------------------------------


def _main_header(lines: list[str], now: datetime) -> _Header | None:
    """The first header printed with its title twice; else the first title-shaped line's."""
    stop = _first(lines, 0, len(lines), _ends_body)
    header = _next_header(lines, 0, min(stop, dp.MAIN_HEADER_SEARCH_LINES), now)
    if header is not None:
        return header
    first = _first(lines, 0, stop, _is_title_shaped)
    return _read_header(lines, first, stop, now, require_repeat=False) if first < stop else None


def _next_header(lines: list[str], start: int, stop: int, now: datetime) -> _Header | None:
    """The first header (a title printed again within a few lines) starting in ``lines[start:stop]``."""
    for i in range(start, stop):
        header = _read_header(lines, i, stop, now, require_repeat=True)
        if header is not None:
            return header
    return None


def _read_header(lines: list[str], i: int, stop: int, now: datetime, *, require_repeat: bool) -> _Header | None:
    """The header whose title is ``lines[i]``: the title again, outlet, time and bullet lines after it."""
    title = lines[i]
    if not _is_title_shaped(title):
        return None
    outlet: str | None = None
    published: datetime | None = None
    repeated = False
    j = i + 1
    while j < min(stop, i + dp.HEADER_MAX_LINES):
        line = lines[j]
        if line == title:
            repeated = True
        elif _is_time_line(line):
            published = _published(line, now)
        elif bullet := _bullet_outlet(line):
            outlet = bullet
        elif outlet is None and _is_outlet_line(line) and j + 1 < stop and _is_meta_line(lines[j + 1]):
            outlet = line
        else:
            break
        j += 1
    if require_repeat and not repeated:
        return None
    return _Header(start=i, title=title, outlet=outlet, published=published, end=j)


def _is_title_shaped(line: str) -> bool:
    if len(line) > _SHORT_LINE or _is_meta_line(line) or _ends_body(line) or _closes_page(line):
        return False
    return any(c.isalpha() for c in line) and len(line.split()) <= dp.TITLE_MAX_WORDS


def _is_meta_line(line: str) -> bool:
    return _is_time_line(line) or _bullet_outlet(line) is not None


def _bullet_outlet(line: str) -> str | None:
    """The outlet in a bullet line ("  • Business Recorder"); None for other lines and list items."""
    match = dp.BULLET_OUTLET.fullmatch(line) if len(line) <= _SHORT_LINE else None
    return match["outlet"].strip() if match and _is_outlet_line(match["outlet"].strip()) else None


def _is_outlet_line(line: str) -> bool:
    words = line.split()
    return (0 < len(words) <= dp.OUTLET_MAX_WORDS and line[0].isalnum() and not _is_time_line(line)
            and dp.SENTENCE_END.search(line) is None)


def _is_time_line(line: str) -> bool:
    return _matches(dp.RELATIVE_TIME, line)


def _published(line: str, now: datetime) -> datetime | None:
    """The UTC time a relative time line means; a future time is clamped to the capture time."""
    match = dp.RELATIVE_TIME.fullmatch(line)
    if match is None:
        return None
    if match["word"]:
        seconds = dp.TIME_WORD_SECONDS[" ".join(match["word"].lower().split())]
    elif match["future"]:
        seconds = 0  # "in 5 minutes": nothing was published after the page was captured
    else:
        amount = match["amount"].lower()
        count = int(amount) if amount.isdigit() else dp.AMOUNT_WORDS[" ".join(amount.split())]
        seconds = count * dp.UNIT_SECONDS[match["unit"].lower()]
    try:
        return now - timedelta(seconds=seconds)
    except OverflowError:  # "999999 years ago": no representable time, so none at all
        return None


# -- related articles -------------------------------------------------------------------------------


def _related_articles(lines: list[str], start: int, now: datetime, origin: str) -> Iterator[ExtractedArticle]:
    """The related articles printed in full after the related-articles marker."""
    begin = _first(lines, start, len(lines), lambda line: _matches(dp.RELATED_MARKERS, line))
    stop = _first(lines, begin + 1, len(lines), _closes_page)
    header = _next_header(lines, begin + 1, stop, now)
    count = 0
    while header is not None:
        following = _next_header(lines, header.end, stop, now)
        body = _body_text(lines[header.end:following.start if following else stop], header)
        if body:  # a headline with no text under it is a link, not an article
            count += 1
            yield _article(f"{origin}#related-{count}", header, body, ())
        header = following


def _article(origin: str, header: _Header, text: str, related: tuple[ExtractedArticle, ...]) -> ExtractedArticle:
    dateline = find_dateline(text)
    return ExtractedArticle(
        origin=origin, title=header.title, text=text, outlet=header.outlet, published=header.published,
        credits=find_credits(text), dateline=dateline.place if dateline else None, related=related,
    )


# -- bodies ---------------------------------------------------------------------------------------


def _body_text(lines: list[str], header: _Header) -> str:
    """Paragraphs joined by blank lines, sub-headings as ``## `` paragraphs, other stories' headlines out."""
    paragraphs: list[str] = []
    for line in lines:
        bullet = _bullet_outlet(line)
        if (line == header.title or _is_time_line(line) or _matches(dp.RELATED_MARKERS, line)
                or (bullet is not None and header.outlet in (None, bullet))):
            continue
        kind = _line_kind(line)
        if kind == "heading":
            paragraphs.append(f"## {line}")
        elif kind == "paragraph":
            paragraphs.append(_without_inline_headlines(line))
    # A heading with nothing under it is a leftover UI label ("Orange background"), not structure.
    while paragraphs and paragraphs[-1].startswith("## "):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def _line_kind(line: str) -> str:
    """"paragraph", "heading" (a sub-heading) or "headline" (another story's, to drop)."""
    words = line.split()
    if line.endswith(":"):
        return "heading" if len(words) <= dp.COLON_HEADING_MAX_WORDS else "paragraph"
    if dp.SENTENCE_END.search(line):
        single_question = line.endswith("?") and not re.search(r"[.!?]\s", line)
        short = len(words) <= dp.QUESTION_HEADING_MAX_WORDS and line[0] not in dp.OPENING_QUOTES
        return "heading" if single_question and short else "paragraph"
    if _is_sentence_fragment(line, words):
        return "paragraph"
    if len(words) < dp.HEADLINE_MIN_WORDS or (
            words[0].lower() in dp.HEADING_OPENERS and len(words) <= dp.OPENER_HEADING_MAX_WORDS):
        return "heading"
    # Long enough for another story's headline, unless it reads like a sentence that lost its stop.
    if words[0].lower() in dp.NOT_HEADLINE_FIRST_WORDS or not dp.NOT_IN_HEADLINE.isdisjoint(words[1:]):
        return "paragraph"
    return "headline"


def _is_sentence_fragment(line: str, words: list[str]) -> bool:
    """Whether an unpunctuated line is part of the text rather than a title of any kind.

    It is when it opens in lower case, ends on a comma or a lead-in ("he said"), holds a
    sentence end inside, is a credit or caption, or is too long for a title.
    """
    return (not (line[0].isupper() or line[0].isdigit())
            or not _PLAIN_WORD.fullmatch(words[-1].rstrip("'’\"”"))
            or words[-1].lower() in dp.LEAD_IN_WORDS
            or dp.NOT_HEADLINE.match(line) is not None
            or dp.SENTENCE_BOUNDARY.search(line) is not None
            or len(words) > dp.HEADLINE_MAX_WORDS)


def _without_inline_headlines(paragraph: str) -> str:
    """``paragraph`` without other stories' headlines glued between two of its sentences."""
    kept: list[str] = []
    position = 0
    for boundary in dp.SENTENCE_BOUNDARY.finditer(paragraph):
        if boundary.end() < position or _is_abbreviation(paragraph, boundary.start()):
            continue
        span = _glued_headline(paragraph, boundary.end())
        if span is not None:
            kept.append(paragraph[position:span[0]])
            position = span[1]
    kept.append(paragraph[position:])
    return "".join(kept)


def _is_abbreviation(text: str, period: int) -> bool:
    """Whether the full stop at ``period`` ends an abbreviation ("U.S.", "Mr.", "J.") rather than a sentence."""
    if text[period] != ".":
        return False
    before = text[max(0, period - 12):period].split()
    word = before[-1].lstrip(_TRIM).lower() if before else ""
    return len(word) == 1 or word in dp.ABBREVIATIONS


def _glued_headline(text: str, start: int) -> tuple[int, int] | None:
    """The span of a headline glued at ``start`` (just after a sentence end) before the next sentence.

    The span must be headline-shaped: INLINE_HEADLINE_MIN..MAX words, opening with a capital,
    not like an introductory phrase or speech, with no sentence end, colon or "the" inside.
    It ends where a new sentence visibly starts (see :func:`_opens_sentence`).
    """
    matches = list(islice(_WORD.finditer(text, start),
                          dp.INLINE_HEADLINE_MAX_WORDS + 1 + dp.REPORTING_VERB_WINDOW))
    words = [m.group() for m in matches]
    if not words or not words[0][0].isupper() or words[0].lower() in dp.NOT_HEADLINE_FIRST_WORDS:
        return None
    for k in range(1, min(len(words), dp.INLINE_HEADLINE_MAX_WORDS + 1)):
        previous = words[k - 1]
        if previous[-1] in ".!?…:;" or (k > 1 and previous in dp.NOT_IN_HEADLINE):
            return None
        if k >= dp.INLINE_HEADLINE_MIN_WORDS and _opens_sentence(text, words, k, matches[k].start()):
            return matches[0].start(), matches[k].start()
    return None


def _opens_sentence(text: str, words: list[str], k: int, at: int) -> bool:
    """Whether ``words[k]`` (at offset ``at`` of ``text``) starts a sentence glued to the words before it.

    A. an opening quote that closes like a whole quoted sentence ("'I'm going ... before,' the
       president posted"): a quote inside a sentence follows a lead-in ("said", ":");
    B. a word that only opens sentences ("The", "He") right after a capitalised word;
    C. a titled speaker right after a capitalised word (see :func:`_titled_speaker`).
    """
    previous, word = words[k - 1], words[k]
    if (previous.lower() in dp.LEAD_IN_WORDS or previous.endswith(("'s", "’s"))
            or not _PLAIN_WORD.fullmatch(previous)):
        return False
    if word[0] in dp.OPENING_QUOTES and len(word) > 1 and word[1].isupper():
        return dp.QUOTE_CLOSE.search(text, at + 1, at + dp.QUOTE_CLOSE_WINDOW) is not None
    if not (previous[0].isupper() or previous[0].isdigit()):
        return False
    return word in dp.SENTENCE_OPENERS or _titled_speaker(words[k:])


def _titled_speaker(words: list[str]) -> bool:
    """Whether ``words`` open a sentence with a titled speaker who reports something.

    "German Chancellor Friedrich Merz on Sunday said ...": a demonym or bloc, up to one more
    capitalised word, a title, and a reporting verb before the sentence ends.
    """
    head = [w.strip(_TRIM) for w in words[:3]]
    if len(head) < 2 or not dp.DEMONYM.fullmatch(head[0]):
        return False
    titled = head[1] in dp.TITLE_WORDS or (
        len(head) == 3 and head[1][:1].isupper() and head[2] in dp.TITLE_WORDS)
    sentence: list[str] = []
    for word in words[:dp.REPORTING_VERB_WINDOW]:
        sentence.append(word)
        if word[-1] in ".!?…":
            break
    return titled and dp.REPORTING_VERBS.search(" ".join(sentence)) is not None
