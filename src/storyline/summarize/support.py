"""Whether a generated sentence is supported by the sentences it cites.

An LLM's summary sentence is shown with its citations only when the cited sentences state what
it says. The check is lexical and strict, in this order (the first failure is the reason):

1. every number it states (digits or number words, "four" = "4", "17-year-old" = "seventeen-year-old")
   is in the cited sentences, and every age it states ("4-year-old", "4 years old") is an age there
   ("4-year-old", or "Brown, 4,"): a changed count or age is the error readers notice first, and "four
   women" does not say that a child is 4;
2. it negates only where the cited sentences do ("not", "no", "never", "n't"): "was not arrested"
   against "was arrested" shares every other word;
3. its names (capitalised words past its first) are found in the cited sentences, at least
   ``NAME_RECALL`` of them: a swapped or invented person, place or agency;
4. its content words are found there, at least ``CONTENT_RECALL`` of them (words match on their
   first ``_PREFIX`` letters, so "wounded" meets "wounding"): an added claim brings words of its own.

The thresholds were fitted on the fit part of ``data/quality/support.jsonl`` (sentences of one
shooting's reports by several outlets, cited with another outlet's sentences; faithful
paraphrases; and changed numbers, names, negations, added claims, other incidents' sentences) by
``scripts/fit_support.py``; ``tests/test_support_quality.py`` scores the gate part. The
precision of "supported" is what they were fitted for: an unsupported sentence shown as cited is
the failure users report; a supported one dropped costs only a sentence of the LLM's summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storyline.summarize.terms import STOP_WORDS, content_terms, names

__all__ = ["CONTENT_RECALL", "NAME_RECALL", "Support", "normalised_terms", "supported"]

NAME_RECALL = 1.0
CONTENT_RECALL = 0.8
# Content words match on this many first letters ("injured"/"injuries", "wounded"/"wounding").
_PREFIX = 5

_NEGATION = re.compile(r"(?i)\b(?:not|no|never|none|nobody|neither|nor|without)\b|n['’]t\b")
# Number words past those terms.content_terms knows, so that "seventeen" and "17" meet.
_MORE_NUMBER_WORDS = {
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "eleven": "11", "twelve": "12", "twenty": "20", "one": "1", "two": "2",
    "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}
_HYPHENS = re.compile(r"[-‐‑–—]")
_NUMBER = r"(\d+|[a-z]+)"
_AGE = re.compile(rf"(?i)\b{_NUMBER}[\s-]+(?:years?|months?)[\s-]+old\b")
_APPOSITIVE_AGE = re.compile(r"[A-Za-z], (\d{1,3}),")  # "Marcello Brown, 23, was"
# "3:00 a.m." states the number 3, as "3 a.m." does.
_WHOLE_HOUR = re.compile(r"\b(\d{1,2}):00\b")
# Who a summary says reported a fact, in the words summaries use for any authority: not a claim of
# its own ("police said" over a sheriff's statement); named speakers are still names and checked.
_ATTRIBUTION = frozenset({"police", "official", "authority", "investigator", "officer"})


@dataclass(frozen=True, slots=True)
class Support:
    """How well the cited sentences support a sentence: ``score`` 0-1, the decision, and why."""

    score: float
    supported: bool
    reason: str


def normalised_terms(text: str) -> list[str]:
    """Content terms with hyphenated words split ("17-year-old" -> #17, year, old) and all number words as figures."""
    terms = []
    # An age counts as its number ("4-year-old" -> 4); the ages themselves are checked apart.
    for term in content_terms(_WHOLE_HOUR.sub(r"\1", _HYPHENS.sub(" ", _AGE.sub(r"\1", text)))):
        terms.append("#" + _MORE_NUMBER_WORDS[term] if term in _MORE_NUMBER_WORDS else term)
    return terms


def _figures(terms: Iterable[str]) -> set[str]:
    # "1,200" and "1200" are one figure already; "2.0" and "2" are made one here.
    return {t[:-2] if t.endswith(".0") else t for t in terms if t.startswith("#")}


def _ages(text: str, *, appositive: bool) -> set[str]:
    ages = {_figure(m.group(1)) for m in _AGE.finditer(text)}
    if appositive:
        ages |= {m.group(1) for m in _APPOSITIVE_AGE.finditer(text)}
    return ages - {""}


def _figure(word: str) -> str:
    word = word.lower()
    return word if word.isdigit() else _MORE_NUMBER_WORDS.get(word, "")


def _key(term: str) -> str:
    return term[:_PREFIX]


def supported(sentence: str, cited: Sequence[str], *, name_recall: float = NAME_RECALL,
              content_recall: float = CONTENT_RECALL) -> Support:
    """Whether ``cited`` (the sentences ``sentence`` cites) state what ``sentence`` says; see the module's rules."""
    if not cited or not any(c.strip() for c in cited):
        return Support(0.0, False, "cites no sentence")
    source = " ".join(cited)
    own, theirs = normalised_terms(sentence), normalised_terms(source)
    missing_figures = sorted(_figures(own) - _figures(theirs))
    if missing_figures:
        return Support(0.0, False, f"number {missing_figures[0][1:]} not in cited sentences")
    missing_ages = sorted(_ages(sentence, appositive=False) - _ages(source, appositive=True))
    if missing_ages:
        return Support(0.0, False, f"age {missing_ages[0]} not in cited sentences")
    if _NEGATION.search(sentence) and not _NEGATION.search(source):
        return Support(0.0, False, "negation not in cited sentences")
    known = {_key(t) for t in theirs}
    own_names = sorted(n for n in names(_HYPHENS.sub(" ", sentence)) if n not in STOP_WORDS)
    found_names = [n for n in own_names if any(_key(t) in known for t in normalised_terms(n))]
    name_share = len(found_names) / len(own_names) if own_names else 1.0
    words = [t for t in own if not t.startswith("#") and t not in _ATTRIBUTION]
    content_share = sum(_key(t) in known for t in words) / len(words) if words else 1.0
    score = min(name_share, content_share)
    if name_share < name_recall:
        absent = next(n for n in own_names if n not in found_names)
        return Support(score, False, f"name {absent!r} not in cited sentences")
    if content_share < content_recall:
        absent_words = [t for t in words if _key(t) not in known]
        return Support(score, False, f"{content_share:.0%} of its words in cited sentences "
                                     f"(missing: {', '.join(absent_words[:4])})")
    return Support(score, True, "supported")
