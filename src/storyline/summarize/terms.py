"""What a sentence is about, as numbers: its content words, names and figures.

A sentence becomes a sparse row of term counts (content words lower-cased and lightly stemmed,
numbers with their separators dropped, stop words out). Rows of one article are kept together
(:class:`ArticleTerms`), so that a story's matrix is the stack of its articles' rows and a new
article costs only its own tokenising. Term ids come from one :class:`Vocabulary` per process;
ids differ between processes, results do not (cosines do not depend on the numbering).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from storyline.summarize.sentences import Sentence, quoted_share, split_sentences, usable

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["ArticleTerms", "Vocabulary", "analyse", "content_terms", "figures", "names"]

_TOKEN = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ’'-]*|\d[\d,.]*\d|\d")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]+(?:[’'-][A-Za-z]+)?\b")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "dozen": "12", "twenty": "20", "hundred": "100",
    "thousand": "1000", "million": "1000000", "billion": "1000000000",
}
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves said says say told
according added would could may might must shall one mr mrs ms dr s t its it's don't didn't wasn't isn't
weren't aren't can't won't new last first year years week weeks day days time monday tuesday wednesday
thursday friday saturday sunday
""".split())  # noqa: SIM905 - a word list reads better as words


def _stem(word: str) -> str:
    """Plural and possessive endings off: "shootings" and "shooting", "police's" and "police" meet."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """The content words and figures of ``text``, normalised (the terms a sentence is compared by)."""
    terms = []
    for token in _TOKEN.findall(text):
        if token[0].isdigit():
            terms.append("#" + token.replace(",", "").rstrip("."))
            continue
        lowered = token.lower().strip("’'-")
        if lowered in _NUMBER_WORDS:
            terms.append("#" + _NUMBER_WORDS[lowered])
        elif len(lowered) > 1 and lowered not in STOP_WORDS:
            terms.append(_stem(lowered))
    return terms


def figures(text: str) -> set[str]:
    """The numbers ``text`` states (digits or number words), normalised."""
    return {t for t in content_terms(text) if t.startswith("#")}


def names(text: str) -> set[str]:
    """Capitalised words past a sentence's first word (names of people, places, organisations), lower-cased."""
    return {m.group(0).lower() for m in _NAME.finditer(text) if m.group(0).lower() not in STOP_WORDS}


class Vocabulary:
    """Term -> column id, for the whole process (grows as new words arrive). Thread-safe."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def ids(self, terms: Sequence[str]) -> list[int]:
        known = self._ids
        missing = [t for t in terms if t not in known]
        if missing:
            with self._lock:
                for term in missing:
                    known.setdefault(term, len(known))
        return [known[t] for t in terms]

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True, slots=True)
class ArticleTerms:
    """One article's sentences, their weighted term rows and what the ranking asks of each, computed once.

    An update re-ranks a whole story, so everything that depends on one article only (rows
    weighted and unit length, which sentences are usable, which are mostly quotation, word
    counts) is worked out when the article is analysed and kept with it.
    """

    sentences: tuple[Sentence, ...]
    # sentences x vocabulary: sublinear counts, unit length (columns past the vocabulary's size at analysis absent)
    rows: sp.csr_matrix
    usable: np.ndarray  # bool per sentence: fit to stand in a summary (sentences.usable)
    quoted: np.ndarray  # bool per sentence: mostly inside quotation marks
    words: np.ndarray  # int per sentence
    texts: frozenset[int]  # hashes of the sentences' texts: copies share most of them


def analyse(text: str, vocabulary: Vocabulary) -> ArticleTerms:
    """``text`` split into sentences and counted by term."""
    import scipy.sparse as sp  # late: scipy is ~0.2 s of start for commands that never summarise
    sentences = split_sentences(text)
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for sentence in sentences:
        counted = Counter(vocabulary.ids(content_terms(sentence.text)))
        indices.extend(counted.keys())
        data.extend(counted.values())
        indptr.append(len(indices))
    weights = 1.0 + np.log(np.array(data, np.float64))
    bounds = np.array(indptr, np.int64)
    lengths = np.diff(bounds)
    norms = np.sqrt(np.add.reduceat(weights * weights, bounds[:-1][lengths > 0])) if weights.size else weights
    scale = np.ones(len(sentences))
    scale[lengths > 0] = 1.0 / norms
    weights *= np.repeat(scale, lengths)
    rows = sp.csr_matrix((weights.astype(np.float32), np.array(indices, np.int32), bounds.astype(np.int32)),
                         shape=(len(sentences), max(len(vocabulary), 1)))
    return ArticleTerms(
        tuple(sentences), rows,
        usable=np.array([usable(s) for s in sentences], bool),
        quoted=np.array([quoted_share(s.text) > 0.5 for s in sentences], bool),
        words=np.array([s.words for s in sentences], np.int64),
        texts=frozenset(hash(s.text) for s in sentences),
    )
