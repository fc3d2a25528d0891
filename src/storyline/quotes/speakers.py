"""Who said a quote: the attribution around it, resolved to one of the article's entities.

The order, for each quote (the first rule that finds a speaker wins):

1. after the quote, in its sentence: "..., said Ushakov", "..., Ushakov said", "..., he
   added", "..., Rutte told ABC", "..., the EU foreign policy chief said";
2. before the quote, in its sentence: "Zelenskyy said: ...", "Kallas said that ...",
   "Rutte told ABC's This Week that ... adding: ...", "According to X, ...";
3. a quote standing alone that goes on from the quote before it (the next paragraph, or the
   same one) takes that quote's speaker.

The speaker as written is resolved to an entity: a name the entities stage found there is that
entity; "he", "she" or a definite description ending in a title ("the EU foreign policy chief",
"the Ukrainian leader") is the person who spoke or was named first in the sentences before the
quote; an indefinite one ("a German government spokesman") is nobody the article names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from storyline.entities.lexicon import TITLES, name_key
from storyline.entities.mentions import SPEECH_VERBS
from storyline.quotes.spans import QuoteSpan
from storyline.types import ArticleEntity, EntityType

__all__ = ["Attribution", "attribute", "same_speaker"]

_VERBS = "|".join(sorted(SPEECH_VERBS | {"adding", "saying", "writing", "telling", "pointed out"}, key=len,
                         reverse=True))
_PRONOUNS = frozenset({"he", "she", "they", "i", "we"})
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"“'‘A-Z(]|\s*$|\s*\n)")
# 1. after the quote: ", said X" / ", X said" (up to seven words of subject, then a speech verb)
_VERB_THEN_SUBJECT = re.compile(rf"^[\s,;:.!?—–-]*(?:{_VERBS})\s+(?P<subject>[^.;:!?\"“”]{{1,120}}?)"
                                r"(?=\s*(?:[.;:!?]|$|\s(?:in|on|at|to|during|after|before|last|this|when|about)\s))",
                                re.IGNORECASE)
_SUBJECT_THEN_VERB = re.compile(rf"^[\s,;:—–-]*(?P<subject>(?:[^\s,.;:!?\"“”]+\s+){{0,7}}?[^\s,.;:!?\"“”]+)"
                                rf"\s+(?:(?:also|then|later|had|has|have|previously|earlier|once)\s+)?(?:{_VERBS})\b",
                                re.IGNORECASE)
# 1, at the end of the sentence: "Both 'praised the efforts' of Trump, a government spokesman said."
_CLOSING_ATTRIBUTION = re.compile(rf",\s+(?P<subject>(?:[^\s,.;:!?\"“”]+\s+){{0,7}}?[^\s,.;:!?\"“”]+)\s+(?:{_VERBS})"
                                  r"\s*[.!?]?\s*$", re.IGNORECASE)
_ACCORDING = re.compile(r"(?:according to|(?:described|called|quoted) by) (?P<subject>[^,.;:!?\"“”]{1,80}?)"
                        r"(?=\s*[,.;:!?]|\s+as\b|$)", re.IGNORECASE)
_SENTENCE_START = re.compile(r"[.!?][\"”'’]?\s+(?=[A-Z\"“'‘])")
_QUOTE_MARKS = "\"“”'‘’«»„"


@dataclass(frozen=True, slots=True)
class Attribution:
    speaker: str | None
    as_written: str | None


@dataclass(frozen=True, slots=True)
class _Named:
    """A place where the text names an entity (from the entities stage's spans)."""

    start: int
    end: int
    entity: ArticleEntity


def attribute(text: str, quotes: Sequence[QuoteSpan], entities: Sequence[ArticleEntity]) -> list[Attribution]:
    """The speaker of each quote in ``quotes`` (in order), by the rules of the module's docstring."""
    named = sorted((_Named(a, b, e) for e in entities for a, b in e.spans), key=lambda n: n.start)
    inside = [(q.open_at, q.close_at) for q in quotes]
    result: list[Attribution] = []
    for index, quote in enumerate(quotes):
        found = _after(text, quote, named, inside) or _before(text, quote, named, inside)
        if found is None and index > 0 and result[-1].as_written is not None and _goes_on(text, quotes[index - 1],
                                                                                           quote):
            found = result[-1]  # rule 3: it goes on from the quote before, or shares its sentence
        result.append(found or Attribution(None, None))
    return result


def _sentence_end(text: str, start: int) -> int:
    match = _SENTENCE_END.search(text, start, min(len(text), start + 300))
    paragraph = text.find("\n", start)
    ends = [e for e in (match.end() if match else None, paragraph if paragraph >= 0 else None) if e is not None]
    return min(ends) if ends else min(len(text), start + 300)


def _sentence_start(text: str, end: int) -> int:
    """Where the sentence holding ``text[end]`` starts (a paragraph's start at the latest)."""
    low = max(0, end - 400)
    start = max(low, text.rfind("\n", low, end) + 1)
    for match in _SENTENCE_START.finditer(text, start, min(len(text), end + 1)):
        if match.end() <= end:
            start = match.end()
    return start


def _after(text: str, quote: QuoteSpan, named: list[_Named], inside: list[tuple[int, int]]) -> Attribution | None:
    end = _sentence_end(text, quote.close_at)
    tail = text[quote.close_at:end]
    for next_open, _ in inside:  # stop at the next quote
        if quote.close_at < next_open < end:
            tail = text[quote.close_at:next_open]
            break
    ended = text[quote.start:quote.end].rstrip()[-1:] in (".", "!", "?", "…")
    if ended and re.match(r"\s+[A-Z\"“'‘]", tail) and not re.match(rf"\s+(?:{_VERBS})\b", tail, re.IGNORECASE):
        return None  # the quote ended its sentence: what follows is the next one
    for pattern in (_VERB_THEN_SUBJECT, _SUBJECT_THEN_VERB, _CLOSING_ATTRIBUTION):
        match = pattern.match(tail) if pattern is not _CLOSING_ATTRIBUTION else pattern.search(tail)
        if match is not None:
            start = quote.close_at + match.start("subject")
            return _resolve(text, start, quote.close_at + match.end("subject"), named, inside, quote)
    return None


def _before(text: str, quote: QuoteSpan, named: list[_Named], inside: list[tuple[int, int]]) -> Attribution | None:
    start = _sentence_start(text, quote.open_at)
    head = text[start:quote.open_at]
    for _, close in inside:  # only what follows an earlier quote in the sentence
        if start < close <= quote.open_at:
            start, head = close, text[close:quote.open_at]
    according = next(reversed(list(_ACCORDING.finditer(head))), None)
    if according is not None:
        return _resolve(text, start + according.start("subject"), start + according.end("subject"), named, inside,
                        quote)
    verbs = list(re.finditer(rf"\b(?:{_VERBS})\b", head, re.IGNORECASE))
    if not verbs:
        return None
    for verb in reversed(verbs):  # the verb nearest the quote first: "The researchers noted ...: Gownaris remarked"
        clause = max(head.rfind(",", 0, verb.start()), head.rfind(";", 0, verb.start()),
                     head.rfind(":", 0, verb.start()), head.rfind("–", 0, verb.start()),
                     head.rfind("—", 0, verb.start()))
        found = _resolve(text, start + clause + 1, start + verb.start(), named, inside, quote, last=True)
        if found is None and clause >= 0:  # "Howard Rubel, a Toronto lawyer, told": the subject before the aside
            found = _resolve(text, start, start + verb.start(), named, inside, quote)
        if found is not None:
            return found
    return None


def _resolve(text: str, start: int, end: int, named: list[_Named], inside: list[tuple[int, int]], quote: QuoteSpan,
             *, last: bool = False) -> Attribution | None:
    """The speaker a stretch of attribution names: a person in it, a pronoun, a description, an organisation."""
    in_region = [n for n in named if start <= n.start and n.end <= end]
    people = [n for n in in_region if n.entity.type is EntityType.PERSON]
    # a name the entities stage could not type that speaks is most often a person
    people = people or [n for n in in_region if n.entity.type is EntityType.OTHER]
    if people:
        chosen = people[-1] if last else people[0]
        return Attribution(chosen.entity.name, text[chosen.start:chosen.end])
    phrase = text[start:end].strip(" ,;:—–-" + _QUOTE_MARKS).split(",")[0].strip()
    if not phrase:
        return None
    words = phrase.split()
    if len(words) > 8:
        return None
    low = [w.lower().strip(".,") for w in words]
    if last and len(words) > 1 and low[-1] in _PRONOUNS:  # before the verb: its subject is the last word
        words, low = words[-1:], low[-1:]
    if low[0] in _PRONOUNS and len(words) == 1:
        if low[0] in {"i", "we", "they"}:
            return Attribution(None, words[0])
        return Attribution(_person_before(text, quote.open_at, named, inside), words[0])
    if low[-1] in TITLES or low[-1].rstrip("s") in TITLES:
        # "the EU foreign policy chief", "the Ukrainian leader": the person the text is about;
        # "a German government spokesman": somebody it does not name
        person = _person_before(text, quote.open_at, named, inside) if low[0] == "the" else None
        return Attribution(person, phrase)
    if in_region and in_region[-1].end >= end - 1:  # "the Kremlin said", "NATO said"
        chosen = in_region[-1]
        return Attribution(chosen.entity.name, text[chosen.start:chosen.end])
    if low[0] in {"the", "a", "an"}:
        return Attribution(None, phrase)
    if words[0][:1].isupper() and all(w[:1].isupper() for w in words if w.lower() not in {"of", "the"}):
        return Attribution(phrase, phrase)  # a name the entities stage did not find
    return None


def _person_before(text: str, at: int, named: list[_Named], inside: list[tuple[int, int]]) -> str | None:
    """Who "he" or "the Ukrainian leader" is: the speaker, else the first person, of the nearest sentence before."""
    people = [n for n in named if n.end <= at and n.entity.type in (EntityType.PERSON, EntityType.OTHER)
              and not any(a <= n.start < b for a, b in inside)]
    if any(n.entity.type is EntityType.PERSON for n in people):  # a name that could not be typed, if no person
        people = [n for n in people if n.entity.type is EntityType.PERSON]
    own_sentence = _sentence_start(text, at)
    earlier = [n for n in people if n.end <= own_sentence]
    if earlier and not any(_speaks(text, n) for n in people if n.start >= own_sentence):
        people = earlier  # "..., she said" after "critical of Trump": not Trump, the one before
    if not people:
        return None
    last = people[-1]
    sentence_start = _sentence_start(text, last.start)
    same_sentence = [n for n in people if n.start >= sentence_start]
    for n in reversed(same_sentence):  # "... , Ushakov said." : the (last) one a speech verb follows
        if _speaks(text, n):
            return n.entity.name
    return same_sentence[0].entity.name


def _speaks(text: str, n: _Named) -> bool:
    return re.match(rf"\s+(?:\w+\s+)?(?:{_VERBS})\b", text[n.end:n.end + 40], re.IGNORECASE) is not None


def _goes_on(text: str, previous: QuoteSpan, quote: QuoteSpan) -> bool:
    """Whether ``quote`` goes on from ``previous``: nothing but a paragraph break or a short link between."""
    between = text[previous.close_at:quote.open_at]
    if len(between) <= 3 or (between.strip() == "" and "\n" in between):
        return True
    # the same sentence, or the next one of the paragraph when the one between only attributed
    # the quote before: '"...," said Xavier Becerra. "He knows ..."'
    return "\n" not in between and (_SENTENCE_END.search(between) is None or len(between) < 120)


def same_speaker(a: str | None, b: str | None) -> bool:
    """Whether two speaker names are one person (spelling aside, or one is the other's surname)."""
    if a is None or b is None:
        return a is b
    ka, kb = name_key(a), name_key(b)
    return ka == kb or (ka.split()[-1:] == kb.split()[-1:] and (ka in kb or kb in ka))
