"""An article's sentences: where each starts and ends in the text, and which are fit to quote in a summary.

Our own splitter, not a library's: pysbd (rule-based, the usual choice) took 12 ms an
article on the gun-violence pool, more than every other per-article stage together, and
blingfire 0.1.8 fails on some texts' offsets. News prose is regular: a sentence ends at
``.``, ``!`` or ``?`` (closing quotes and brackets kept with it) before a space and a capital,
a digit, an opening quote or bracket, unless the word before the point is an abbreviation
("Mr.", "Sen.", "U.S.", "Jan.") or an initial ("John F. Kennedy"). A paragraph always ends
a sentence. Offsets index the article's clean text, so a citation can highlight its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "quoted_share", "split_sentences", "usable"]

# A sentence's text is cut to this many characters (a paragraph with no full stop in it).
MAX_SENTENCE_CHARS = 600

# Words whose point never ends a sentence when a capital follows ("Gov. Newsom", "Jan. 6").
_ABBREVIATIONS = frozenset("""
mr mrs ms dr prof sen rep gov gen lt col sgt capt cmdr adm maj cpl pvt st jr sr rev hon pres supt det insp
insp ofc atty messrs mme mmes mlle sra sr srta inc corp co ltd llc plc bros dept univ assn est approx no nos
vol vols fig figs op pp ed eds vs etc al jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu
thur thurs fri sat sun ave blvd rd st mt ft hwy fwy ste apt ala ariz ark calif colo conn del fla ga ill ind
kan kans ky la md mass mich minn miss mo mont neb nebr nev okla ore pa tenn tex va vt wash wis wyo
""".split())  # noqa: SIM905 - a word list reads better as words
# "a.m." and "p.m." end a sentence only when a word that opens sentences follows.
_CLOCK = frozenset({"a.m", "p.m"})
_OPENERS = frozenset("""
the a an he she it they we i police officials authorities but and in on at after before when this that there
his her their its one two three four five six seven eight nine ten
""".split())  # noqa: SIM905 - a word list reads better as words

# A candidate end: the mark, closing quotes or brackets, then space, then what opens a sentence.
_END = re.compile(r"[.!?]+[\"”’'»)\]]*(?=\s+[\"“‘'«(\[]?[A-Z0-9À-Ý])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
_PARAGRAPHS = re.compile(r"[^\n]+")
_WORDS = re.compile(r"\w+(?:[’'.-]\w+)*")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of an article: ``text[start:end]``, its paragraph, and its place in the article (from 0)."""

    start: int
    end: int
    paragraph: int
    index: int
    text: str

    @property
    def words(self) -> int:
        return len(_WORDS.findall(self.text))


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order, each trimmed of surrounding space."""
    sentences: list[Sentence] = []
    for paragraph, match in enumerate(_PARAGRAPHS.finditer(text or "")):
        start, stop = match.span()
        for a, b in _split_paragraph(text, start, stop):
            a, b = _trim(text, a, b)
            if b > a:
                b = min(b, a + MAX_SENTENCE_CHARS)
                sentences.append(Sentence(a, b, paragraph, len(sentences), text[a:b]))
    return sentences


def _split_paragraph(text: str, start: int, stop: int) -> list[tuple[int, int]]:
    spans = []
    begin = start
    for end in _END.finditer(text, start, stop):
        if text[end.start()] == "." and not _ends_sentence(text, begin, end.start(), end.end(), stop):
            continue
        spans.append((begin, end.end()))
        begin = end.end()
    spans.append((begin, stop))
    return spans


def _ends_sentence(text: str, begin: int, point: int, after: int, stop: int) -> bool:
    """Whether the full stop at ``point`` ends a sentence (the caller saw a capital after it)."""
    word = _WORD_BEFORE.search(text, max(begin, point - 20), point + 1)
    if word is None:
        return True  # a number ("up 5.") or a closing mark before the point
    before = word.group(1)
    lowered = before.lower()
    if lowered in _CLOCK:
        following = re.match(r"\s+[\"“‘'«(]?([A-Za-z]+)", text[after:stop])
        return following is not None and following.group(1).lower() in _OPENERS
    if len(before) == 1 and before.isupper():  # an initial: "John F. Kennedy"
        return False
    if "." in before:  # "U.S." and "D.C." end sentences only before an opener: "in the U.S. The ..."
        following = re.match(r"\s+[\"“‘'«(]?([A-Za-z]+)", text[after:stop])
        return following is not None and following.group(1).lower() in _OPENERS
    return lowered not in _ABBREVIATIONS


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


_BOILERPLATE = re.compile(
    r"(?i)\b(?:sign up|subscribe|newsletter|click here|read more|all rights reserved|copyright|©|"
    r"follow us|download (?:the|our) app|share this|cookies?|advertisement|contributed to this report|"
    r"this story has been (?:updated|corrected)|please (?:enable|refresh)|photo(?:graph)?: |getty images|"
    r"reporting by|editing by|writing by|stay informed|related:|watch:|listen:|see also)"
)
_QUOTED = re.compile(r"[\"“][^\"“”]{3,}[\"”]")


def quoted_share(sentence: str) -> float:
    """How much of ``sentence`` is inside quotation marks (0-1)."""
    inside = sum(m.end() - m.start() for m in _QUOTED.finditer(sentence))
    return inside / max(1, len(sentence))


def usable(sentence: Sentence, *, min_words: int = 6, max_words: int = 60) -> bool:
    """Whether ``sentence`` may stand in a summary: a whole statement, not a fragment, question or page furniture."""
    text = sentence.text
    if not min_words <= sentence.words <= max_words:
        return False
    if text[-1] not in ".!\"”’'" or text.endswith("?") or text.rstrip("\"”’'").endswith("?"):
        return False
    first = text.lstrip("\"“‘'«(")[:1]
    if not first or not (first.isupper() or first.isdigit()):
        return False
    if _inside_quote(text):
        return False
    return _BOILERPLATE.search(text) is None


def _inside_quote(text: str) -> bool:
    """Whether ``text`` opens or closes a quotation it does not hold whole: a piece of a longer quote."""
    straight = text.count('"')
    return straight % 2 == 1 or text.count("“") != text.count("”")
