"""Who a text credits (news agencies) and where it was filed (the dateline)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyline.extract import patterns

# Credits are looked for where papers print them: the opening and the closing lines.
_HEAD_CHARS = 400
_TAIL_CHARS = 600

# A cheaper first sieve than patterns.ANY_CREDIT_HINT, which it never contradicts: the
# hint needs an agency spelling (in its own case) or one of its words (in any case), and
# these search for them as plain strings: no word boundaries, no case-blind alternation
# at every position (~8x faster on a text that names no agency). The words are searched
# in the lower-cased text; the four non-ASCII letters a case-blind pattern takes for
# ASCII ones ("İ", "ı", "ſ", Kelvin's "K") send the text to the hint itself. Only while
# the hint is the pattern these were made from; otherwise the hint alone decides.
_SPELLINGS = {spelling for spellings in patterns.AGENCIES.values() for spelling in spellings}
_HINT_WORDS = ("wires", "agenc", "inputs", "contributed", "copyright", "©", "reporting by")
_SIEVE_MATCHES_HINT = patterns.ANY_CREDIT_HINT.pattern == (
    rf"\b(?-i:{patterns.AGENCY_ALTERNATION})\b|(?i:{'|'.join(_HINT_WORDS)})"
)
_SPELLING_SIEVE = re.compile("|".join(sorted(  # the spellings that hold no shorter one
    (re.escape(s) for s in _SPELLINGS if not any(other != s and other in s for other in _SPELLINGS)),
    key=len, reverse=True)))
_WORD_SIEVE = re.compile("|".join(re.escape(word) for word in _HINT_WORDS))  # in lower case
_CASE_BLIND_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


def _hints_credit(region: str) -> bool:
    """Whether patterns.ANY_CREDIT_HINT finds something in ``region``."""
    if _SIEVE_MATCHES_HINT and _SPELLING_SIEVE.search(region) is None \
            and _WORD_SIEVE.search(region.lower()) is None and _CASE_BLIND_ASCII.search(region) is None:
        return False
    return patterns.ANY_CREDIT_HINT.search(region) is not None


@dataclass(frozen=True, slots=True)
class Dateline:
    """A dateline: the place as printed ("MOSCOW") and agencies named in it."""

    place: str
    agencies: tuple[str, ...]
    end: int  # where the article proper starts in the text


def _agencies_in(spellings: str) -> list[str]:
    names = []
    for spelling in re.split(r"\s*(?:/|,|\band\b|&|\bwith\b)\s*", spellings):
        name = patterns.agency_name(spelling)
        if name is not None:
            names.append(name)
    return names


def find_dateline(text: str) -> Dateline | None:
    """The dateline the text opens with ("BRUSSELS (Reuters) - ..."), or None."""
    head = text[:200]
    for pattern in (patterns.DATELINE, patterns.DATELINE_TITLE_CASE):
        match = pattern.match(head)
        if match is None:
            continue
        place = match.group("place").strip().rstrip(",")
        if place.upper() in patterns.NOT_PLACES or len(place) < 2:
            continue
        agencies = tuple(_agencies_in(match.group("agencies") or ""))
        return Dateline(place=place, agencies=agencies, end=match.end())
    return None


def find_credits(text: str) -> tuple[str, ...]:
    """The agencies ``text`` credits, in order of first mention ("AFP", "Reuters", "newswires")."""
    regions = (text[:_HEAD_CHARS], text[-_TAIL_CHARS:]) if len(text) > _HEAD_CHARS + _TAIL_CHARS else (text,)
    # Most texts name no agency at all: one cheap search rules them out before the
    # dozen credit patterns run (measured: 5x faster on a feed of ordinary items).
    if not any(_hints_credit(region) for region in regions):
        return ()
    found: list[str] = []
    dateline = find_dateline(text)
    if dateline is not None:
        found.extend(dateline.agencies)
    for region in regions:
        for pattern in patterns.CREDIT_PATTERNS:
            for match in pattern.finditer(region):
                found.extend(_agencies_in(match.group("agencies")))
        if any(p.search(region) for p in patterns.GENERIC_WIRE_PATTERNS):
            found.append(patterns.GENERIC_WIRE_CREDIT)
    return tuple(dict.fromkeys(found))
