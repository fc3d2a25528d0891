"""Name mentions in text: runs of capitalised words, cleaned of sentence openers and titles.

The order, for each run of capitalised words (joined by "of", "the", "de", ... between them):

1. a sentence's first word, or any word of a title-case headline, is dropped from the front
   when news text writes it in lower case ("The", "Police", "After");
2. titles and roles in front are split off and kept as cues ("Ukrainian President", "U.S.
   President", "Chancellor"); a country among them is a place mention of its own ("U.S.");
3. a possessive ending is dropped ("Zelenskyy's");
4. a hyphenated pair of names is two mentions when each part is also written alone in the
   text ("Trump-Putin meeting"); otherwise one ("Nagorno-Karabakh").

A mention keeps the cues its neighbours give (a title before it, a speech verb after it, a
place word after it such as "region", a preposition before it such as "in"), for typing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storyline.entities.lexicon import (
    CONNECTORS,
    NOT_NAMES,
    ORGANIZATION_HEADS,
    ORGANIZATIONS,
    PLACE_HEADS,
    TIED_TO,
    TITLES,
    Lexicon,
)

__all__ = ["MAX_NAME_WORDS", "Mention", "find_mentions"]

# The longest name read, in words ("Daughters of the American Revolution Constitution Hall" is 7).
MAX_NAME_WORDS = 10

_POSSESSIVE = re.compile(r"['’]s?$")
SPEECH_VERBS = frozenset("""
said says say told tells added adds wrote writes stated states announced announces explained explains
noted notes argued argues insisted insists warned warns claimed claims continued continues asked asks
replied replies declared declares confirmed confirms posted posts tweeted tweets urged urges
remarked remarks commented comments recalled recalls informed informs responded responds concluded
concludes acknowledged acknowledges admitted admits suggested suggests stressed stresses
""".split())  # noqa: SIM905 - a word list reads better as text
_LOCATIVE = frozenset({"in", "at", "near", "from", "to", "across", "outside", "inside"})


@dataclass(slots=True)
class Mention:
    """A name as written at ``start:end`` of the text, with what its context says about it."""

    start: int
    end: int
    text: str
    titles: tuple[str, ...] = ()  # titles written before it ("President", "aide")
    speaks: bool = False  # a speech verb right after it ("Ushakov said")
    place_word_after: bool = False  # "Sumy region", "Hudson river"
    locative_before: bool = False  # "in Geneva"
    entity: int = -1  # filled by merging
    cues: dict[str, float] = field(default_factory=dict)


class _Token:
    """A word: where it is, whether it opens a sentence (or a quote), whether it is capitalised."""

    __slots__ = ("capital", "end", "index", "initial", "start", "text")

    def __init__(self, start: int, end: int, text: str, initial: bool, index: int) -> None:
        self.start, self.end, self.text, self.initial, self.index = start, end, text, initial, index
        self.capital = text[:1].isupper()


def _upper_class() -> str:
    """A regex character class of the upper- and title-case letters of the Basic Multilingual Plane."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if chr(code).isupper() or chr(code).istitle():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in ranges) + "]"


# Only the words the rules read are tokens: capitalised ones, and the lower-case words that
# join names or give cues (connectors, titles, speech verbs, "in", place words); what ends a
# sentence (a full stop, a line break) is matched too. Other words are skipped by the regex
# engine: tokenising every word cost most of the stage's time.
_CUE_WORDS = sorted(CONNECTORS | TITLES | SPEECH_VERBS | _LOCATIVE | PLACE_HEADS | {"the"}, key=len, reverse=True)
_WORD_OR_END = re.compile(
    r"(?P<word>(?:[A-Z]\.){2,}|" + _upper_class() + r"(?:[\w'’&.\-]*[\w&])?|(?<![\w'’-])(?:"
    + "|".join(re.escape(w) for w in _CUE_WORDS) + r")(?![\w'’-]))|[.!?:;\n]"
)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    initial = True
    for match in _WORD_OR_END.finditer(text):
        word = match.group("word")
        if word is None:
            initial = True
            continue
        tokens.append(_Token(match.start(), match.end(), word, initial, len(tokens)))
        initial = False
    return tokens


def _is_headline(text: str) -> bool:
    """True for a title-case line ("Kremlin Says Trump-Putin Meeting Agreed")."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", text) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) / len(words) > 0.6


def _runs(tokens: list[_Token], text: str) -> list[list[_Token]]:
    """Runs of capitalised tokens, connectors allowed between two capitalised ones."""
    runs: list[list[_Token]] = []
    i = 0
    while i < len(tokens):
        if not tokens[i].capital or tokens[i].text.lower() in NOT_NAMES:
            i += 1
            continue
        run = [tokens[i]]
        j = i + 1
        while j < len(tokens):
            gap = text[run[-1].end:tokens[j].start]
            if gap not in (" ", "\u00a0") or (run[-1].text.endswith(("'s", "’s", ".")) and not re.fullmatch(
                    r"(?:[A-Z]\.)+", run[-1].text)):
                break
            if tokens[j].capital and tokens[j].text.lower() not in NOT_NAMES and not tokens[j].initial:
                run.append(tokens[j])
                j += 1
                continue
            # connectors: "Bank of England", "Daughters of the American Revolution"
            k = j
            while k < len(tokens) and tokens[k].text in CONNECTORS and text[tokens[k - 1].end:tokens[k].start] == " ":
                k += 1
            # "Chris Fallows of Apex Shark Expeditions" is a person and an organisation; "Bank of
            # England" and "Daughters of the American Revolution" are one name each
            person_of = (tokens[j].text == "of" and len(run) >= 2
                         and run[-1].text.lower() not in ORGANIZATION_HEADS | PLACE_HEADS | TITLES)
            if k > j and k < len(tokens) and tokens[k].capital and not person_of \
                    and text[tokens[k - 1].end:tokens[k].start] == " ":
                run.extend(tokens[j:k + 1])
                j = k + 1
                continue
            break
        if len(run) <= MAX_NAME_WORDS:  # longer is a title-case line or shouting, not a name
            runs.append(run)
        i = j
    return runs


def find_mentions(text: str, lex: Lexicon, *, headline_end: int = 0) -> list[Mention]:
    """Name mentions in ``text``, in order; ``text[:headline_end]`` is a headline (may be title case)."""
    tokens = _tokens(text)
    headline = headline_end > 0 and _is_headline(text[:headline_end])
    standalone = {t.text for t in tokens if t.capital}
    mentions: list[Mention] = []
    for run in _runs(tokens, text):
        in_headline = headline and run[0].start < headline_end
        # 1. openers that are ordinary words
        while run and (run[0].initial or in_headline or run[0].text.lower() in {"the"}) and (lex.is_common(
                _POSSESSIVE.sub("", run[0].text)) or _looks_inflected(run[0].text, lex)):
            run = run[1:]
            while run and run[0].text in CONNECTORS:
                run = run[1:]
        if not run:
            continue
        if in_headline:  # title case: an ordinary word inside ends the name
            cut = next((i for i, t in enumerate(run) if lex.is_common(t.text) and t.text not in CONNECTORS), None)
            if cut is not None:
                run = run[:cut]
            if not run:
                continue
        mentions.extend(_split(run, text, tokens, lex, standalone))
    return mentions


def _looks_inflected(word: str, lex: Lexicon) -> bool:
    """A sentence opener such as "Lauding" or "Reportedly": not a name unless a gazetteer knows it."""
    return word.lower().endswith(("ing", "ly", "ed")) and word.lower() not in lex.places and len(word) > 4


def _split(run: list[_Token], text: str, tokens: list[_Token], lex: Lexicon, standalone: set[str]) -> list[Mention]:
    """One run into its mentions: titles off the front (their country kept as a place), hyphen pairs apart."""
    found: list[Mention] = []
    titles: list[str] = []
    cut = 0
    # "Justice Department", "PM Office": a name ending as an organisation's keeps its front words.
    last = run[-1].text.lower()
    for i, token in enumerate(run[:-1] if last not in ORGANIZATION_HEADS else ()):
        low = _POSSESSIVE.sub("", token.text).lower()
        country = lex.places[low] if low in lex.places else lex.demonym_country(token.text)
        if low in TITLES:
            titles.append(token.text)
            cut = i + 1
        elif token.text in CONNECTORS and titles:
            cut = i + 1  # "President of Azerbaijan Ilham Aliyev"
        elif (country is not None or low in ORGANIZATIONS) and (
                # before a title ("US President", "Kremlin aide"), or a title's "of" ("President of
                # Azerbaijan"); not a name after a title ("President Vladimir Putin": Vladimir, the city)
                any(t.text.lower() in TITLES for t in run[i + 1:-1])
                or (titles and i > 0 and run[i - 1].text in CONNECTORS)):
            if low in lex.places or low in ORGANIZATIONS:  # "U.S. President Donald Trump": "U.S." is a place
                found.append(Mention(token.start, token.end, _POSSESSIVE.sub("", token.text)))
            cut = i + 1
        else:
            break
    name = run[cut:]
    while name and name[-1].text in CONNECTORS:
        name = name[:-1]
    if not name or _not_a_name(name, lex):
        return found
    start, end = name[0].start, name[-1].end
    written = text[start:end]
    possessive = _POSSESSIVE.search(written)
    if possessive and possessive.start() > 0 and written[possessive.start() - 1].isalpha():
        end -= len(possessive.group())
        written = text[start:end]
    if "-" in written and " " not in written:
        parts = written.split("-")
        if len(parts) == 2 and parts[1][:1].islower():  # "US-brokered"
            end = start + len(parts[0])
            written = parts[0]
            parts = [written]
        if len(parts) == 2 and all(p[:1].isupper() and p in standalone for p in parts):
            first_end = start + len(parts[0])
            return [*found, Mention(start, first_end, parts[0]), Mention(first_end + 1, end, parts[1])]
    before = _word_before(tokens, name[0], text)
    after = _word_after(tokens, name[-1], text)
    if before is not None and before.text.lower() in TITLES and not before.capital:
        titles.append(before.text)
    mention = Mention(start, end, written, titles=tuple(titles),
                      speaks=after is not None and after.text.lower() in SPEECH_VERBS,
                      place_word_after=after is not None and after.text.lower() in PLACE_HEADS,
                      locative_before=before is not None and before.text.lower() in _LOCATIVE)
    return [*found, mention]


def _not_a_name(name: list[_Token], lex: Lexicon) -> bool:
    """A lone adjective of a country ("Russian"), a shouted word ("IMMEDIATELY") or a capitalised common word."""
    if len(name) > 1:
        return False
    word = _POSSESSIVE.sub("", name[0].text)
    low = word.lower()
    if low in lex.places:
        return False
    if lex.demonym_country(word) is not None or (low.endswith("s") and lex.demonym_country(word[:-1])):
        return True
    return lex.is_common(word) and low not in ORGANIZATIONS and low not in TIED_TO


def _word_before(tokens: list[_Token], token: _Token, text: str) -> _Token | None:
    """The word right before ``token`` (punctuation between allowed), if it is a token."""
    before = tokens[token.index - 1] if token.index > 0 else None
    return before if before is not None and not _HAS_WORD.search(text, before.end, token.start) else None


def _word_after(tokens: list[_Token], token: _Token, text: str) -> _Token | None:
    after = tokens[token.index + 1] if token.index + 1 < len(tokens) else None
    return after if after is not None and not _HAS_WORD.search(text, token.end, after.start) else None


_HAS_WORD = re.compile(r"\w")
