"""MinHash signatures of a text's shingles, hashed with numpy.

Shingles are runs of ``WORD_SHINGLE`` lower-case ``\\w+`` words inside one paragraph (so
reordered paragraphs give the same shingles and one-line boilerplate such as "Read more" or
"Advertisement" gives none), or runs of ``CHAR_SHINGLE`` characters for scripts written
without spaces. Each shingle gets a stable 64-bit hash; permutation ``i`` is the
multiply-shift hash ``(a_i * x + b_i) >> 32`` and the signature keeps each permutation's minimum.

Hashes depend on nothing but the text (no ``PYTHONHASHSEED``), so signatures can be stored.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from storyline.dedupe import thresholds as t

__all__ = ["Signature", "signature"]

_WORD = re.compile(r"\w+")
_PARAGRAPH = re.compile(r"\n+")
# Scripts written without spaces between words: CJK, kana, Thai, Lao, Khmer, Myanmar, Tibetan.
_NO_SPACE_CHARS = re.compile(
    r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_NON_WORD = re.compile(r"\W+")

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_POLY = np.uint64(0x100000001B3)
_SHIFT_32 = np.uint64(32)
_EMPTY_VALUE = np.uint32(0xFFFFFFFF)


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20_240_605)  # fixed: stored signatures must stay comparable
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


_PERMS: dict[int, tuple[np.ndarray, np.ndarray]] = {}
# Token -> crc32: news vocabularies repeat, and a lookup is 3x cheaper than encoding + hashing.
_TOKEN_HASHES: dict[str, int] = {}
_TOKEN_CACHE_SIZE = 500_000


@dataclass(frozen=True, slots=True, eq=False)
class Signature:
    """A text's MinHash signature, its openings' signatures and its size.

    ``values`` has one uint32 per permutation; ``openings[k]`` is the signature (first
    ``PREFIX_PERM`` permutations) of the text's first ``PREFIX_CHECKPOINTS[k]`` shingles.
    ``words`` counts words (characters / ``CHARS_PER_WORD`` for unspaced scripts);
    ``shingles`` counts distinct shingles.
    """

    values: np.ndarray
    openings: np.ndarray
    words: int
    shingles: int

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two texts' shingle sets."""
        if self.shingles == 0 or other.shingles == 0:
            return 0.0
        return float(np.count_nonzero(self.values == other.values)) / len(self.values)


def _mix(x: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: spreads token-polynomial hashes over all 64 bits.
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX_1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX_2
    return x ^ (x >> np.uint64(31))


def _units(text: str) -> tuple[list[list[str]], bool]:
    """Paragraphs as lists of shingle units (words, or characters for unspaced scripts)."""
    lowered = text.lower()
    by_chars = False
    if _NO_SPACE_CHARS.search(lowered) is not None:  # most texts have none: skip the counting
        word_chars = len(_NON_WORD.sub("", lowered))
        by_chars = len(_NO_SPACE_CHARS.findall(lowered)) >= t.CHAR_MODE_SHARE * word_chars
    paragraphs = []
    for paragraph in _PARAGRAPH.split(lowered):
        units = list(_NON_WORD.sub("", paragraph)) if by_chars else _WORD.findall(paragraph)
        if units:
            paragraphs.append(units)
    return paragraphs, by_chars


def _shingle_hashes(paragraphs: list[list[str]], size: int) -> np.ndarray:
    """One 64-bit hash per shingle, in text order; no shingle spans two paragraphs."""
    tokens = [unit for units in paragraphs for unit in units]
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    if len(_TOKEN_HASHES) > _TOKEN_CACHE_SIZE:
        _TOKEN_HASHES.clear()
    cache = _TOKEN_HASHES
    for unit in set(tokens).difference(cache):
        cache[unit] = zlib.crc32(unit.encode())
    token_hashes = np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
    token_hashes = _mix(token_hashes)
    paragraph_ids = np.repeat(np.arange(len(paragraphs)), [len(units) for units in paragraphs])
    if len(tokens) < size or all(len(units) < size for units in paragraphs):
        # A text of one short line (a headline-sized text): hash it whole.
        whole = np.uint64(0)
        with np.errstate(over="ignore"):
            for h in token_hashes:
                whole = whole * _POLY + h
        return _mix(np.array([whole], dtype=np.uint64))
    windows = len(tokens) - size + 1
    shingles = token_hashes[:windows].copy()
    with np.errstate(over="ignore"):
        for offset in range(1, size):
            shingles = shingles * _POLY + token_hashes[offset : offset + windows]
    inside_one_paragraph = paragraph_ids[:windows] == paragraph_ids[size - 1 :]
    return _mix(shingles[inside_one_paragraph])


def _minhash(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.full(len(a), np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, len(hashes), t.ROWS_PER_CHUNK):
        chunk = hashes[start : start + t.ROWS_PER_CHUNK, None]
        np.minimum(out, ((chunk * a + b) >> _SHIFT_32).min(axis=0), out=out)
    return out


def signature(text: str, *, num_perm: int = t.NUM_PERM) -> Signature:
    """The MinHash signature of ``text`` (word shingles; character shingles for CJK/Thai...)."""
    if num_perm < t.PREFIX_PERM:
        raise ValueError(f"num_perm must be at least {t.PREFIX_PERM}, got {num_perm}")
    if num_perm not in _PERMS:
        _PERMS[num_perm] = _permutations(num_perm)
    a, b = _PERMS[num_perm]
    paragraphs, by_chars = _units(text)
    units = sum(len(u) for u in paragraphs)
    words = int(units / t.CHARS_PER_WORD) if by_chars else units
    hashes = _shingle_hashes(paragraphs, t.CHAR_SHINGLE if by_chars else t.WORD_SHINGLE)
    if len(hashes) == 0:
        values = np.full(num_perm, _EMPTY_VALUE, dtype=np.uint32)
        openings = np.full((len(t.PREFIX_CHECKPOINTS), t.PREFIX_PERM), _EMPTY_VALUE, dtype=np.uint32)
        return Signature(values=values, openings=openings, words=words, shingles=0)
    with np.errstate(over="ignore"):
        # The first chunk's hash matrix gives the openings too: prefix minima of its rows.
        head = (hashes[: t.ROWS_PER_CHUNK, None] * a + b) >> _SHIFT_32
        values = head.min(axis=0)
        if len(hashes) > t.ROWS_PER_CHUNK:
            np.minimum(values, _minhash(hashes[t.ROWS_PER_CHUNK :], a, b), out=values)
        openings = np.empty((len(t.PREFIX_CHECKPOINTS), t.PREFIX_PERM), dtype=np.uint32)
        for k, checkpoint in enumerate(t.PREFIX_CHECKPOINTS):
            openings[k] = head[:checkpoint, : t.PREFIX_PERM].min(axis=0)
    distinct = len(set(hashes.tolist()))  # a set beats np.unique's sort on a few hundred values
    return Signature(values=values.astype(np.uint32), openings=openings, words=words, shingles=distinct)
