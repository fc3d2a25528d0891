"""MinHash signatures of a text's shingles, hashed with numpy, a batch of texts at a time.

Shingles are runs of ``WORD_SHINGLE`` words (maximal runs of lower-case ``\\w`` characters, as
``re`` has them) inside one paragraph, so reordered paragraphs give the same shingles and
one-line boilerplate such as "Read more" or "Advertisement" gives none; or runs of
``CHAR_SHINGLE`` characters for scripts written without spaces. A word's hash is the
polynomial of its UTF-8 bytes (``h = h * P + byte`` from the first, mod 2**64), a shingle's the
same over its words' mixed hashes; permutation ``i`` maps a shingle hash's top 32 bits ``x`` to
``(a_i * x + b_i) mod 2**32`` (``a_i`` odd, so a bijection: no collisions added) and the
signature keeps each permutation's minimum. That is the scheme datasketch 2 defaults to
("affine32"); on the labelled set it estimates Jaccard as well as 64-bit multiply-shift
(``(a*x + b) >> 32``, the scheme before it: the same RMSE at every similarity) in half the
time, uint32 products being the cheap ones for numpy.

A batch is one byte array: words are found by a table of word bytes (and of word code points
for the rest of Unicode), not by a regex per text, and hashed with a few numpy calls for the
whole batch. Hashes depend on nothing but the text (no ``PYTHONHASHSEED``, not the batch a
text is signed in), so signatures can be stored.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import cache
from typing import overload

import numpy as np

from storyline.dedupe import thresholds as t
from storyline.processes import worker_pool

__all__ = ["Signature", "Signatures", "signature", "signatures"]

# Scripts written without spaces between words: Thai, Lao, Tibetan, Myanmar, Khmer, kana, CJK.
_NO_SPACE_SCRIPTS = ((0x0E00, 0x0EFF), (0x0F00, 0x0FFF), (0x1000, 0x109F), (0x1780, 0x17FF),
                     (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_WORD_BYTE = np.array([chr(b) == "_" or chr(b).isalnum() for b in range(128)] + [False] * 128)
_NEWLINE = 0x0A
_LONG_WORD = 255  # bytes; longer words (URLs, blobs) are hashed one by one

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_POLY = np.uint64(0x100000001B3)
_SHIFT_32 = np.uint64(32)
_EMPTY_VALUE = np.uint32(0xFFFFFFFF)

_PERMS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    if num_perm not in _PERMS:
        rng = np.random.default_rng(20_240_605)  # fixed: stored signatures must stay comparable
        a = (rng.integers(0, 2**32, size=num_perm, dtype=np.uint64) | np.uint64(1)).astype(np.uint32)  # odd
        b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32)
        _PERMS[num_perm] = (a, b)
    return _PERMS[num_perm]


@cache
def _code_points() -> np.ndarray:
    """Per code point: bit 1 a word character (``str.isalnum()`` or "_", as ``\\w``), bit 2 a script without spaces."""
    table = np.fromiter((c == "_" or c.isalnum() for c in map(chr, range(0x110000))), dtype=np.uint8, count=0x110000)
    for first, last in _NO_SPACE_SCRIPTS:
        table[first : last + 1] |= 2
    return table


@dataclass(frozen=True, slots=True, eq=False)
class Signature:
    """A text's MinHash signature, its openings' signatures and its size.

    ``values`` has one uint32 per permutation; ``openings[k]`` is the signature (first
    ``PREFIX_PERM`` permutations) of the text's first ``PREFIX_CHECKPOINTS[k]`` shingles;
    ``windows[k]`` the same of the ``PREFIX_CHECKPOINTS[0]`` shingles from the start of its
    paragraph ``k + 1`` (counting paragraphs with shingles from 0), all ``0xFFFFFFFF`` when it
    has no such paragraph. ``words`` counts words (characters / ``CHARS_PER_WORD`` for
    unspaced scripts); ``shingles`` counts distinct shingles.
    """

    values: np.ndarray
    openings: np.ndarray
    windows: np.ndarray
    words: int
    shingles: int

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two texts' shingle sets."""
        if self.shingles == 0 or other.shingles == 0:
            return 0.0
        return float(np.count_nonzero(self.values == other.values)) / len(self.values)


@dataclass(frozen=True, slots=True, eq=False)
class Signatures:
    """Signatures of a batch of texts, one row per text: row ``i`` is ``Signature`` ``i``.

    ``values`` is (n, num_perm) uint32, ``openings`` (n, len(PREFIX_CHECKPOINTS), PREFIX_PERM)
    uint32, ``windows`` (n, WINDOWS, PREFIX_PERM) uint32, ``words`` and ``shingles`` (n,) int64.
    One array per field keeps a million signatures cheap to move between processes and to store.
    """

    values: np.ndarray
    openings: np.ndarray
    windows: np.ndarray
    words: np.ndarray
    shingles: np.ndarray

    def __len__(self) -> int:
        return len(self.words)

    @overload
    def __getitem__(self, i: int) -> Signature: ...
    @overload
    def __getitem__(self, i: slice) -> Signatures: ...
    def __getitem__(self, i: int | slice) -> Signature | Signatures:
        """Signature ``i``, or the batch of the rows in a slice."""
        if isinstance(i, slice):
            return Signatures(self.values[i], self.openings[i], self.windows[i], self.words[i], self.shingles[i])
        return Signature(self.values[i], self.openings[i], self.windows[i], int(self.words[i]),
                         int(self.shingles[i]))

    @classmethod
    def concat(cls, parts: Sequence[Signatures]) -> Signatures:
        """One batch of the parts' rows, in order."""
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in cls.__slots__))

    @classmethod
    def stack(cls, rows: Sequence[Signature]) -> Signatures:
        """One batch of single signatures (``self[i]`` of some batches), in order."""
        return cls(np.stack([r.values for r in rows]), np.stack([r.openings for r in rows]),
                   np.stack([r.windows for r in rows]), np.array([r.words for r in rows], dtype=np.int64),
                   np.array([r.shingles for r in rows], dtype=np.int64))


def _mix(x: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: spreads polynomial hashes over all 64 bits.
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX_1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX_2
    return x ^ (x >> np.uint64(31))


@dataclass(frozen=True, slots=True)
class _Bytes:
    """A batch of lower-cased texts as UTF-8, each followed by a newline (so a paragraph ends)."""

    data: np.ndarray  # uint8
    starts: np.ndarray  # each text's first byte
    word: np.ndarray  # per byte: part of a word character
    unspaced: np.ndarray  # per text: shingled by characters


def _encode(texts: Sequence[str]) -> _Bytes:
    """The texts as one byte array, each byte classed word or not (exactly as ``\\w``)."""
    encoded = [text.lower().encode("utf-8", "surrogatepass") for text in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) + 1
    data = np.frombuffer(b"\n".join(encoded) + b"\n", dtype=np.uint8) if encoded else np.zeros(0, np.uint8)
    starts = np.cumsum(lengths) - lengths
    word = _WORD_BYTE[data]
    unspaced = np.zeros(len(texts), dtype=bool)
    high = np.flatnonzero(data >= 0x80)
    if len(high):  # decode the non-ASCII code points, and give their bytes their class
        is_lead = (data[high] & 0xC0) != 0x80
        lead = high[is_lead]
        classes = _code_points()[_decode(data, lead)]
        word[high] = (classes & 1).astype(bool)[np.cumsum(is_lead) - 1]
        unspaced = _mostly_unspaced(data, starts, word, lead, classes)
    return _Bytes(data, starts, word, unspaced)


def _decode(data: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """The code points starting at the ``lead`` bytes of valid UTF-8."""
    b0 = data[lead].astype(np.uint32)
    b1, b2, b3 = (data[np.minimum(lead + k, len(data) - 1)].astype(np.uint32) & 0x3F for k in (1, 2, 3))
    return np.where(b0 < 0xE0, ((b0 & 0x1F) << 6) | b1,
                    np.where(b0 < 0xF0, ((b0 & 0x0F) << 12) | (b1 << 6) | b2,
                             ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3))


def _mostly_unspaced(data: np.ndarray, starts: np.ndarray, word: np.ndarray, lead: np.ndarray,
                     classes: np.ndarray) -> np.ndarray:
    """Texts with at least ``CHAR_MODE_SHARE`` of their word characters in scripts without spaces."""
    characters = word & ((data & 0xC0) != 0x80)  # word characters, by their first byte
    per_text = np.add.reduceat(characters, starts, dtype=np.int64)
    text_of = np.searchsorted(starts, lead, side="right") - 1
    unspaced = np.bincount(text_of, weights=(classes & 2) > 0, minlength=len(starts))
    return (unspaced > 0) & (unspaced >= t.CHAR_MODE_SHARE * per_text)


def _word_spans(word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and past-last byte of each run of word bytes."""
    change = np.flatnonzero(word[1:] != word[:-1]) + 1
    if len(word) and word[0]:
        change = np.concatenate([[0], change])
    return change[0::2], change[1::2]  # the batch ends with a newline: every run ends


def _character_spans(data: np.ndarray, word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and past-last byte of each word character (for texts shingled by characters)."""
    first = np.flatnonzero(word & ((data & 0xC0) != 0x80))
    b0 = data[first]
    return first, first + np.where(b0 < 0x80, 1, np.where(b0 < 0xE0, 2, np.where(b0 < 0xF0, 3, 4)))


def _word_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``sum(byte * Q**k)`` over each span's bytes, first byte highest (Horner's rule), mod 2**64.

    All spans step through their bytes together, longest first, so step k touches only the
    spans longer than k: one pass over the bytes in all.
    """
    lengths = ends - starts
    order = np.argsort(_LONG_WORD - np.minimum(lengths, _LONG_WORD).astype(np.uint8), kind="stable")  # radix
    first, length = starts[order], lengths[order]
    hashes = np.zeros(len(starts), dtype=np.uint64)
    clipped = np.minimum(length, _LONG_WORD)  # longest first
    steps = int(clipped[0]) if len(clipped) else 0
    longer_than = np.searchsorted(-clipped, -np.arange(steps), side="left")  # spans longer than k
    with np.errstate(over="ignore"):
        for k, m in enumerate(longer_than.tolist()):
            h = hashes[:m]
            h *= _POLY
            h += data[first[:m] + k]
        for i in np.flatnonzero(length > _LONG_WORD).tolist():
            hashes[i] = _horner(data[first[i] : first[i] + length[i]])
    out = np.empty_like(hashes)
    out[order] = hashes
    return out


def _horner(word: np.ndarray) -> np.uint64:
    """``_word_hashes`` of one long span, with a table of powers instead of a step per byte."""
    powers = np.full(len(word), _POLY, dtype=np.uint64)
    powers[0] = 1
    return (word.astype(np.uint64) * np.cumprod(powers)[::-1]).sum(dtype=np.uint64)


def _shingle_hashes(
    words: np.ndarray, paragraph_of: np.ndarray, text_of: np.ndarray, size: int, texts: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shingle hashes of the texts' word hashes in text order, the text and paragraph of each, and words per text.

    No shingle spans two paragraphs; a text with words but no paragraph of ``size`` words (a
    headline-sized text) is hashed whole into one shingle (of paragraph -1).
    """
    counts = np.bincount(text_of, minlength=texts)
    windows = max(len(words) - size + 1, 0)
    shingles = words[:windows].copy()
    with np.errstate(over="ignore"):
        for offset in range(1, size):
            shingles = shingles * _POLY + words[offset : offset + windows]
    inside = paragraph_of[:windows] == paragraph_of[size - 1 :]
    hashes, owners, paragraphs = _mix(shingles[inside]), text_of[:windows][inside], paragraph_of[:windows][inside]
    whole = np.flatnonzero((counts > 0) & (np.bincount(owners, minlength=texts) == 0))
    if len(whole):
        starts = np.concatenate([[0], np.cumsum(counts)])
        extra = [_whole_hash(words[starts[i] : starts[i + 1]]) for i in whole]
        hashes = np.concatenate([hashes, _mix(np.array(extra, dtype=np.uint64))])
        owners = np.concatenate([owners, whole])
        paragraphs = np.concatenate([paragraphs, np.full(len(whole), -1, dtype=paragraphs.dtype)])
        order = np.argsort(owners, kind="stable")
        hashes, owners, paragraphs = hashes[order], owners[order], paragraphs[order]
    return hashes, owners, paragraphs, counts


def _window_starts(owners: np.ndarray, paragraphs: np.ndarray, texts: int) -> np.ndarray:
    """(texts, WINDOWS): where each text's paragraph 1, 2... starts among its shingles; -1 if it has none.

    Paragraphs are counted among those with shingles (one-line boilerplate has none).
    """
    out = np.full((texts, t.WINDOWS), -1, dtype=np.int64)
    if not len(owners):
        return out
    new = np.ones(len(owners), dtype=bool)
    new[1:] = (paragraphs[1:] != paragraphs[:-1]) | (owners[1:] != owners[:-1])
    first = np.searchsorted(owners, np.arange(texts))  # each text's first shingle (owners ascend)
    rank = np.cumsum(new) - 1
    local = rank - rank[np.minimum(first, len(owners) - 1)][owners]  # paragraph number inside its text
    for k in range(1, t.WINDOWS + 1):
        at = np.flatnonzero(new & (local == k))
        out[owners[at], k - 1] = at - first[owners[at]]
    return out


def _whole_hash(tokens: np.ndarray) -> int:
    whole = 0
    for h in tokens.tolist():
        whole = (whole * int(_POLY) + h) & 0xFFFF_FFFF_FFFF_FFFF
    return whole


def _segment_minima(
    hashes: np.ndarray, counts: np.ndarray, window_starts: np.ndarray, num_perm: int
) -> tuple[np.ndarray, np.ndarray]:
    """Minima of ``a*x + b`` per opening segment and per window of each text.

    The first, (texts, len(PREFIX_CHECKPOINTS) + 1, num_perm): segment k of a text holds its
    shingles from checkpoint k-1 to checkpoint k (the last one, the rest), so a running minimum
    over the segments gives every opening and the whole text in one pass over the shingles. The
    second, (texts, WINDOWS, PREFIX_PERM): each window's ``PREFIX_CHECKPOINTS[0]`` shingles from
    ``window_starts`` (empty where that is -1).
    """
    a, b = _permutations(num_perm)
    texts, cuts = len(counts), (0, *t.PREFIX_CHECKPOINTS)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    bounds = starts[:, None] + np.minimum(np.array(cuts), counts[:, None])  # (texts, segments)
    ends = np.concatenate([bounds[:, 1:], (starts + counts)[:, None]], axis=1)
    nonempty = (ends > bounds).ravel()
    seg_starts = bounds.ravel()[nonempty]
    out = np.full((texts * len(cuts), num_perm), _EMPTY_VALUE, dtype=np.uint32)
    windows = np.full((texts * t.WINDOWS, t.PREFIX_PERM), _EMPTY_VALUE, dtype=np.uint32)
    if len(seg_starts) == 0:
        return out.reshape(texts, len(cuts), num_perm), windows.reshape(texts, t.WINDOWS, t.PREFIX_PERM)
    has_window = (window_starts >= 0).ravel()
    window_lo = (starts[:, None] + window_starts).ravel()[has_window]
    window_hi = np.minimum(window_lo + t.PREFIX_CHECKPOINTS[0], np.repeat(starts + counts, t.WINDOWS)[has_window])
    # Cut the segments at chunk edges and window ends too, so each chunk's hash matrix stays in
    # cache and every window is a run of whole pieces. The matrix is (permutation, shingle):
    # numpy's reduceat is 5x faster along the last axis.
    rows = t.ROWS_PER_CHUNK
    edges = np.union1d(np.union1d(seg_starts, np.arange(0, len(hashes), rows)),
                       np.concatenate([window_lo, window_hi[window_hi < len(hashes)]]))
    pieces = []
    buffer = np.empty((num_perm, min(rows, len(hashes))), dtype=np.uint32)
    a, b = a[:, None], b[:, None]
    top = (hashes >> _SHIFT_32).astype(np.uint32)
    with np.errstate(over="ignore"):
        for start in range(0, len(hashes), rows):
            chunk = top[None, start : start + rows]
            matrix = buffer[:, : chunk.shape[1]]
            np.multiply(a, chunk, out=matrix)
            np.add(matrix, b, out=matrix)
            local = edges[(edges >= start) & (edges < start + chunk.shape[1])] - start
            pieces.append(np.minimum.reduceat(matrix, local, axis=1))
    piece_minima = np.concatenate(pieces, axis=1)
    out[nonempty] = np.minimum.reduceat(piece_minima, np.searchsorted(edges, seg_starts), axis=1).T
    if len(window_lo):
        # Each window is the run of pieces [lo, hi): reduceat over the pairs (lo, hi) takes the
        # even results; a column past the last piece lets hi be the end.
        heads = np.concatenate([piece_minima[: t.PREFIX_PERM],
                                np.full((t.PREFIX_PERM, 1), _EMPTY_VALUE, dtype=np.uint32)], axis=1)
        pairs = np.stack([np.searchsorted(edges, window_lo), np.searchsorted(edges, window_hi)], axis=1).ravel()
        windows[has_window] = np.minimum.reduceat(heads, pairs, axis=1)[:, 0::2].T
    return out.reshape(texts, len(cuts), num_perm), windows.reshape(texts, t.WINDOWS, t.PREFIX_PERM)


def _distinct_counts(hashes: np.ndarray, owners: np.ndarray, texts: int) -> np.ndarray:
    """Distinct shingle hashes per text, told apart by their top 52 bits.

    One sort of (text, hash prefix) keys for up to 4096 texts at a time, instead of a set per
    text. Two of one text's hashes sharing 52 bits (odds 1e-11 for a long article) count once.
    """
    distinct = np.zeros(texts, dtype=np.int64)
    for first in range(0, texts, 1 << 12):
        lo, hi = np.searchsorted(owners, [first, first + (1 << 12)])
        keys = ((owners[lo:hi] - first).astype(np.uint64) << np.uint64(52)) | (hashes[lo:hi] >> np.uint64(12))
        keys.sort()
        new = np.ones(len(keys), dtype=bool)
        new[1:] = keys[1:] != keys[:-1]
        distinct[first : first + (1 << 12)] = np.bincount(
            (keys[new] >> np.uint64(52)).astype(np.int64), minlength=min(1 << 12, texts - first)
        )
    return distinct


def _minhash(
    words: np.ndarray, paragraph_of: np.ndarray, text_of: np.ndarray, size: int, texts: int, num_perm: int
) -> tuple[np.ndarray, ...]:
    """Values, openings, windows, word counts and distinct shingles of ``texts`` texts, from their word hashes."""
    hashes, owners, paragraphs, counts = _shingle_hashes(words, paragraph_of, text_of, size, texts)
    minima, windows = _segment_minima(hashes, np.bincount(owners, minlength=texts),
                                      _window_starts(owners, paragraphs, texts), num_perm)
    running = np.minimum.accumulate(minima, axis=1)
    values = running[:, -1, :].copy()
    openings = running[:, :-1, : t.PREFIX_PERM].copy()
    return values, openings, windows, counts, _distinct_counts(hashes, owners, texts)


def _sign(texts: Sequence[str], num_perm: int) -> Signatures:
    """Signatures of ``texts`` in this process: texts shingled by words, then those by characters."""
    batch = _encode(texts)
    n = len(texts)
    values = np.empty((n, num_perm), dtype=np.uint32)
    openings = np.empty((n, len(t.PREFIX_CHECKPOINTS), t.PREFIX_PERM), dtype=np.uint32)
    windows = np.empty((n, t.WINDOWS, t.PREFIX_PERM), dtype=np.uint32)
    words = np.zeros(n, dtype=np.int64)
    shingles = np.zeros(n, dtype=np.int64)
    # Paragraphs are numbered by the newlines before them; texts end with one, so a text's
    # paragraphs are those from the newlines before it to its own.
    newline = batch.data == _NEWLINE
    newlines_before = np.cumsum(newline) - newline
    first_paragraph = newlines_before[batch.starts]
    text_of_paragraph = np.repeat(np.arange(n), np.diff(first_paragraph, append=int(newline.sum())))
    for unspaced in (False, True):
        rows = np.flatnonzero(batch.unspaced == unspaced)
        if not len(rows):
            continue
        starts, ends = _character_spans(batch.data, batch.word) if unspaced else _word_spans(batch.word)
        paragraph_of = newlines_before[starts]
        text_of = text_of_paragraph[paragraph_of]
        if len(rows) < n:  # the other kind's texts are in the batch too: leave their words out
            mine = batch.unspaced[text_of] == unspaced
            starts, ends, paragraph_of, text_of = starts[mine], ends[mine], paragraph_of[mine], text_of[mine]
            text_of = np.searchsorted(rows, text_of)  # numbered among this kind's texts
        hashes = _mix(_word_hashes(batch.data, starts, ends))
        size = t.CHAR_SHINGLE if unspaced else t.WORD_SHINGLE
        values[rows], openings[rows], windows[rows], units, shingles[rows] = _minhash(
            hashes, paragraph_of, text_of, size, len(rows), num_perm
        )
        words[rows] = (units / t.CHARS_PER_WORD).astype(np.int64) if unspaced else units
    return Signatures(values, openings, windows, words, shingles)


def signatures(
    texts: Sequence[str], *, num_perm: int = t.NUM_PERM, processes: int = 1, executor: Executor | None = None
) -> Signatures:
    """The signatures of many texts, the same as ``signature`` gives one by one, much faster.

    With ``executor`` (a process pool, reused across calls) or ``processes > 1`` (a spawned
    pool for this call only) the texts are signed in parallel, in parts of at most
    ``SIGN_PART`` texts and at least one part per process (per CPU with an executor).
    """
    if num_perm < t.PREFIX_PERM:
        raise ValueError(f"num_perm must be at least {t.PREFIX_PERM}, got {num_perm}")
    if executor is None and processes <= 1:
        return _sign(texts, num_perm)
    workers = processes if executor is None else os.cpu_count() or 1
    size = max(1, min(t.SIGN_PART, math.ceil(len(texts) / workers)))
    parts = [texts[i : i + size] for i in range(0, len(texts), size)]
    if not parts:
        return _sign(texts, num_perm)
    if executor is not None:
        return Signatures.concat([f.result() for f in [executor.submit(_sign, p, num_perm) for p in parts]])
    # spawn, not fork: the caller may run threads (a web server, fetchers).
    with worker_pool(processes) as pool:
        return Signatures.concat(list(pool.map(_sign, parts, [num_perm] * len(parts))))


def signature(text: str, *, num_perm: int = t.NUM_PERM) -> Signature:
    """The MinHash signature of ``text`` (word shingles; character shingles for CJK/Thai...)."""
    return signatures([text], num_perm=num_perm)[0]
