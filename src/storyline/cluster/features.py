"""Per-article evidence for story assignment: weighted words, title words, names, numbers, time.

Every channel is a small sparse vector (sorted hashed keys, unit-norm weights) so a story can
sum them and a candidate can be scored with array operations. Word weights are TF-IDF with
document frequencies counted as articles arrive (``TermStatistics``): a word common in the
stream so far ("police", "said") weighs little, a name seen in three articles weighs a lot.

Names are a light heuristic, no NLP model: runs of capitalised words, minus words that are
capitalised only because they open a sentence or name a weekday or month. Numbers are digit
runs ("6.1", "40", "2004"). Scripts written without spaces (CJK) give character bigrams.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from storyline.cluster import lexicon

__all__ = ["ArticleEvidence", "ArticleTokens", "SparseVector", "TermStatistics", "article_evidence", "article_tokens",
           "hashed", "weigh"]

_WORD = re.compile(r"[^\W\d_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A word starting with a capital of the Latin, Greek or Cyrillic alphabets (Latin Extended-A
# mixes both cases: ``names`` checks). Scripts without case have no capitalised names.
_CAPITAL_START = re.compile(r"(?<![\w'’.\-])[A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f\u0386-\u03ab\u0400-\u042f]"
                            r"[\w'’.\-]*")
_SPACELESS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")

# Channel prefixes keep the words, names and numbers apart in the one frequency table.
WORD, NAME, NUMBER = b"w:", b"e:", b"n:"
TITLE_TAG = 0x9E3779B9  # XOR-ed into title word keys (see ``weigh``)


def hashed(prefix: bytes, token: str) -> int:
    """A stable 32-bit key for ``token`` (crc32: the same in every process, unlike ``hash``)."""
    return zlib.crc32(prefix + token.encode("utf-8", "surrogatepass")) or 1  # 0 marks an empty slot


@dataclass(frozen=True, slots=True)
class SparseVector:
    """Sorted unique uint32 keys and their float32 weights (unit norm unless empty)."""

    keys: np.ndarray
    weights: np.ndarray

    @classmethod
    def empty(cls) -> SparseVector:
        return cls(np.zeros(0, np.uint32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.keys)


EMPTY = SparseVector.empty()


@dataclass(frozen=True, slots=True)
class ArticleEvidence:
    """What the clusterer compares: one sparse vector per channel and the article's day."""

    body: SparseVector
    title: SparseVector
    names: SparseVector
    numbers: SparseVector
    day: float  # days since 1970-01-01 UTC; NaN when the article has no usable time


class TermStatistics:
    """Document frequencies of hashed keys, counted as articles arrive; gives IDF weights.

    A fixed table of ``2**bits`` counters (hash collisions merge rare keys, which only blurs
    the weight of two rare words): memory stays at 4 bytes a slot however long the stream.
    """

    def __init__(self, bits: int = 21) -> None:
        self.bits = bits
        self.counts = np.zeros(1 << bits, np.int32)
        self.documents = 0

    def slots(self, keys: np.ndarray) -> np.ndarray:
        return keys & np.uint32((1 << self.bits) - 1)

    def observe(self, keys: np.ndarray) -> None:
        """Count one document holding ``keys`` (unique)."""
        self.documents += 1
        if len(keys):
            # Two keys of one document landing in one slot count once (``np.add.at`` would count
            # both, at five times the cost): a rare undercount of one, for a blurred weight anyway.
            self.counts[self.slots(keys)] += 1

    def idf(self, keys: np.ndarray) -> np.ndarray:
        """Smoothed inverse document frequency of each key."""
        df = self.counts[self.slots(keys)].astype(np.float64)
        return (np.log((self.documents + 1.0) / (df + 1.0)) + 1.0).astype(np.float32)


def _words(text: str) -> list[str]:
    """Lower-case content words; runs of a spaceless script become character bigrams."""
    lowered = text.lower()
    stop = lexicon.STOPWORDS
    if _SPACELESS.search(lowered) is None:  # the common case, without a per-word check
        return [w for w in _WORD.findall(lowered) if len(w) > 1 and w not in stop]
    out: list[str] = []
    for word in _WORD.findall(lowered):
        if _SPACELESS.search(word):
            out.extend(word[i:i + 2] for i in range(max(1, len(word) - 1)))
        elif len(word) > 1 and word not in stop:
            out.append(word)
    return out


def _hashed_counts(prefix: bytes, tokens: list[str]) -> Counter[int]:
    """Counts by hashed key (each distinct token hashed once)."""
    out: Counter[int] = Counter()
    for token, count in Counter(tokens).items():
        out[hashed(prefix, token)] += count
    return out


def _shouting(line: str) -> bool:
    """A line in capitals (a headline, a kicker): its capitals say nothing about names."""
    sample = line[:400]
    upper = sum(map(str.isupper, sample))
    lower = sum(map(str.islower, sample))
    return upper + lower >= 8 and upper > 0.6 * (upper + lower)


def _title_case(line: str) -> bool:
    words = _WORD.findall(line[:300])
    long_words = [w for w in words if len(w) > 3]
    return len(long_words) >= 3 and sum(w[:1].isupper() for w in long_words) >= 0.8 * len(long_words)


def names(text: str, lowercase_words: set[str]) -> list[str]:
    """Names in ``text``: each word of a capitalised run, and the whole run when it has several.

    A run is capitalised words separated only by spaces. A sentence's first word counts only
    when it is not a known non-name and never appears in lower case in the same text
    ("Police said ..." vs "police").
    """
    found: list[str] = []
    not_names = lexicon.NOT_NAMES
    for line in text.split("\n"):
        if not line or _shouting(line):
            continue
        # In a headline in title case every word is capitalised: there, as for a sentence's
        # first word, a word that also appears in lower case is not taken for a name.
        headline = _title_case(line)
        run: list[str] = []
        previous_end = -1
        for match in _CAPITAL_START.finditer(line):
            token, start = match.group(), match.start()
            if not token[0].isupper():
                continue
            before = line[max(0, start - 4):start].rstrip(" \"'“‘(")
            opens_sentence = (not before and start <= 4) or (before[-1:] in (".", "!", "?", ":"))
            if opens_sentence or previous_end < 0 or line[previous_end:start].strip():
                _emit_run(run, found)
                run = []
            previous_end = match.end()
            if token.endswith(("'s", "’s")):
                token = token[:-2]
            lowered = token.rstrip(".-'’").lower()
            is_name = len(lowered) > 1 and lowered not in not_names
            if is_name and (opens_sentence or headline) and lowered in lowercase_words:
                is_name = False
            if is_name:
                run.append(lowered)
            else:
                _emit_run(run, found)
                run = []
        _emit_run(run, found)
    return found


def _emit_run(run: list[str], found: list[str]) -> None:
    if not run:
        return
    found.extend(run)
    if len(run) > 1:
        found.append(" ".join(run[:4]))


def _numbers(text: str) -> list[str]:
    return [n.replace(",", "") for n in _NUMBER.findall(text)]


@dataclass(frozen=True, slots=True)
class ArticleTokens:
    """What an article's text holds, before weighting: (hashed keys, counts) per channel.

    Stateless, so it can be computed ahead, in another process (``article_tokens``); the
    clusterer then only weighs it against the statistics of the stream so far.
    """

    body: tuple[np.ndarray, np.ndarray]
    title: tuple[np.ndarray, np.ndarray]
    names: tuple[np.ndarray, np.ndarray]
    numbers: tuple[np.ndarray, np.ndarray]


def _arrays(counts: Counter[int]) -> tuple[np.ndarray, np.ndarray]:
    return (np.fromiter(counts.keys(), np.uint32, len(counts)), np.fromiter(counts.values(), np.float32, len(counts)))


def article_tokens(title: str, text: str, *, max_chars: int) -> ArticleTokens:
    """The hashed words, title words, names and numbers of an article, counted.

    Only the first ``max_chars`` characters of the text are read: the lead of a news article
    says what happened, and a megabyte of text must not cost a megabyte of work.
    """
    text = text[:max_chars]
    title = title[:1000]
    lowercase_words = {w for w in _WORD.findall(text) if w[0].islower()}
    both = title + "\n" + text
    return ArticleTokens(
        body=_arrays(_hashed_counts(WORD, _words(text))),
        title=_arrays(_hashed_counts(WORD, _words(title))),
        names=_arrays(_hashed_counts(NAME, names(both, lowercase_words))),
        numbers=_arrays(_hashed_counts(NUMBER, _numbers(both))),
    )


def weigh(
    tokens: ArticleTokens, day: float, stats: TermStatistics, limits: tuple[int, int, int, int],
) -> ArticleEvidence:
    """The evidence of one article: counts its keys into ``stats``, then TF-IDF per channel.

    ``limits`` caps the keys kept per channel (body, title, names, numbers); title words count
    once however often they appear (sublinear TF elsewhere). All channels are weighed at once.
    """
    parts = (tokens.body, tokens.title, tokens.names, tokens.numbers)
    keys = np.concatenate([k for k, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    channel = np.repeat(np.arange(4), [len(k) for k, _ in parts])
    stats.observe(np.unique(keys))
    if not len(keys):
        return ArticleEvidence(EMPTY, EMPTY, EMPTY, EMPTY, day)
    weights = np.where(channel == 1, np.float32(1.0), 1.0 + np.log(counts)) * stats.idf(keys)
    # Per channel, heaviest first (ties by key: the same text keeps the same keys), up to its limit.
    order = np.lexsort((keys, -weights, channel))
    keys, weights, channel = keys[order], weights[order], channel[order]
    rank = np.arange(len(keys)) - np.searchsorted(channel, channel, side="left")
    fits = rank < np.asarray(limits)[channel]
    keys, weights, channel = keys[fits], weights[fits], channel[fits]
    norms = np.sqrt(np.bincount(channel, weights=weights * weights, minlength=4))
    weights = (weights / norms[channel]).astype(np.float32)
    # Title words share the body's statistics but not its keys, so that one sorted key array
    # can hold every channel of an article (see ``model.pair_features``).
    title = channel == 1
    keys[title] ^= np.uint32(TITLE_TAG)
    keys[keys == 0] = 1
    order = np.lexsort((keys, channel))
    keys, weights = keys[order], weights[order]
    bounds = np.searchsorted(channel[order], np.arange(5)).tolist()
    vectors = [SparseVector(keys[a:b], weights[a:b]) if b > a else EMPTY for a, b in pairwise(bounds)]
    return ArticleEvidence(*vectors, day=day)


def article_evidence(
    title: str, text: str, day: float, stats: TermStatistics, *, max_chars: int, limits: tuple[int, int, int, int],
) -> ArticleEvidence:
    """``weigh(article_tokens(title, text))``: tokens and evidence in one step."""
    return weigh(article_tokens(title, text, max_chars=max_chars), day, stats, limits)
