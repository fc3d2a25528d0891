"""LSH bands: which earlier texts share a band of a new text's signature, for a million texts.

Each text has ``BANDS`` 32-bit band keys (``FULL_BANDS`` over its whole signature,
``LEAD_BANDS`` over its opening's, ``WINDOW_BANDS`` over each of its windows', the first lead
bands' rows, so a window meets an opening: a teaser's opening finds the page paragraph it
starts at). Key 0 is no band (a window the text does not have): never linked, never looked up
(a real key is 0 once in 2**32, and then that one band is lost). The table is a chained hash
table in numpy arrays rather than a dict of lists: entry ``e = position * BANDS + band`` keeps
its key and the entry added before it in the same slot, and each slot keeps its newest entry.
That is 8 bytes per entry, 512 bytes a text, and a batch of texts is linked and looked up with
a handful of numpy calls.
(The dict of lists this replaced, with a signature object per text, took 10.5 KB a text: a
million texts would not fit in 2 GB.)
"""

from __future__ import annotations

import math

import numpy as np

from storyline.dedupe import thresholds as t

__all__ = ["BANDS", "BandTable", "band_keys", "grown"]

BANDS = t.FULL_BANDS + t.LEAD_BANDS + t.WINDOWS * t.WINDOW_BANDS
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_SALT = np.uint64(0x632BE59BD9B4E019)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
# Linked entries per slot before the slots grow (to at most one a slot). With 64 entries a
# text the slots (4 bytes each) grow from 128 MB to 512 MB at 1.05 million texts; a load of 3
# would put that off to 1.57 million, but every lookup walks longer chains (+20% indexing time).
_MAX_LOAD = 2
_RELINK_ROWS = 1 << 16  # texts relinked at once when the slots grow


def _keys(values: np.ndarray, bands: int, rows: int, salt: int) -> np.ndarray:
    """(texts, bands) keys: each band's rows mixed in turn, the band number mixed in last."""
    block = values[:, : bands * rows].astype(np.uint64).reshape(len(values), bands, rows)
    keys = np.full((len(values), bands), salt, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            keys = (keys ^ block[:, :, r]) * _BAND_MIX
        keys ^= np.arange(bands, dtype=np.uint64) * _BAND_SALT
        # splitmix64's finaliser, so the 32 bits kept depend on every bit of every row.
        keys ^= keys >> np.uint64(30)
        keys *= _MIX_1
        keys ^= keys >> np.uint64(27)
        keys *= _MIX_2
    return (keys >> np.uint64(32)).astype(np.uint32)


def band_keys(values: np.ndarray, openings: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """(texts, BANDS) uint32 band keys of signatures: whole-text bands, opening bands, window bands.

    A text shorter than the first opening is its own opening, so a teaser and its full text
    meet in the opening bands whichever arrives first; a window's bands are keyed as the
    opening's, so a teaser also meets the page whose second or third paragraph it starts at.
    """
    full = _keys(values, t.FULL_BANDS, t.FULL_ROWS, salt=1)
    lead = _keys(openings[:, 0, :], t.LEAD_BANDS, t.LEAD_ROWS, salt=2)
    parts = [full, lead]
    for k in range(t.WINDOWS):
        keys = _keys(windows[:, k, :], t.WINDOW_BANDS, t.LEAD_ROWS, salt=2)
        keys[windows[:, k, 0] == np.uint32(0xFFFFFFFF)] = 0  # no such paragraph: no band
        parts.append(keys)
    return np.concatenate(parts, axis=1)


class BandTable:
    """Band keys of texts by position, found again by key. Positions are added in order.

    Texts not ``banded`` (too short to be a duplicate) keep a row but are never linked, so
    they are never a candidate. Entries are numbered in uint32: up to 2**32 / BANDS texts
    (53 million).
    """

    def __init__(self) -> None:
        self._keys = np.zeros((0, BANDS), dtype=np.uint32)
        self._next = np.zeros((0, BANDS), dtype=np.uint32)  # entry + 1 added before in the slot; 0: none
        self._banded = np.zeros(0, dtype=bool)
        self._heads = np.zeros(1 << 16, dtype=np.uint32)  # per slot: newest entry + 1; 0: none
        self._rows = 0
        self._linked = 0

    def __len__(self) -> int:
        return self._rows

    def add(self, keys: np.ndarray, banded: np.ndarray) -> None:
        """Append texts (their (n, BANDS) keys) at the next positions and link the banded ones."""
        first, n = self._rows, len(keys)
        if first + n > len(self._keys):
            capacity = max(1024, 2 * len(self._keys), first + n)
            # One array at a time, so each old one is freed before the next is copied: the
            # peak is the table plus its largest array, not plus all of them.
            self._keys = grown(self._keys, capacity)
            self._next = grown(self._next, capacity)
            self._banded = grown(self._banded, capacity)
        self._keys[first : first + n] = keys
        self._banded[first : first + n] = banded
        self._rows += n
        positions = first + np.flatnonzero(banded)
        self._linked += int(np.count_nonzero(keys[banded]))
        if self._linked > _MAX_LOAD * len(self._heads):
            self._relink(1 << math.ceil(math.log2(self._linked)))
        else:
            self._link(positions)

    def candidates(
        self, positions: np.ndarray, *, limit: int = 64
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Texts before each of ``positions`` sharing one of its bands: (query index, position, bands shared).

        Sorted by query index, then by position; at most ``limit`` (the newest) per band of a
        query. ``positions`` must be banded and added. Keys
        are not checked for their band: two bands' keys agree once in 2**32, and the candidate
        that gives is verified like any other.
        """
        keys = self._keys[positions].ravel()
        before = np.repeat(positions, BANDS)  # a query's candidates come before it
        query = np.repeat(np.arange(len(positions)), BANDS)
        real = keys != 0
        keys, before, query = keys[real], before[real], query[real]
        flat_keys, flat_next = self._keys.reshape(-1), self._next.reshape(-1)
        pointer = self._heads[keys & np.uint32(len(self._heads) - 1)]
        hits = np.zeros(len(pointer), dtype=np.int32)
        found_query: list[np.ndarray] = []
        found_text: list[np.ndarray] = []
        while len(pointer):  # one step down every chain at a time
            # A band shared by thousands of texts (one template, a hostile feed) would make every
            # query walk them all: a chain stops at its newest ``limit`` hits, which are plenty to
            # find the group (any member will do) and keep a query's cost bounded.
            alive = (pointer != 0) & (hits < limit)
            if not alive.all():
                keys, before, query, pointer, hits = (
                    keys[alive], before[alive], query[alive], pointer[alive], hits[alive])
            entry = pointer - 1
            text = entry // BANDS
            hit = (flat_keys[entry] == keys) & (text < before)
            if hit.any():
                found_query.append(query[hit])
                found_text.append(text[hit])
                hits += hit
            pointer = flat_next[entry]
        if not found_query:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        packed = (np.concatenate(found_query).astype(np.int64) << 32) | np.concatenate(found_text)
        pairs, shared = np.unique(packed, return_counts=True)
        return pairs >> 32, pairs & 0xFFFF_FFFF, shared

    def _link(self, positions: np.ndarray) -> None:
        """Make the entries of ``positions`` (ascending) the newest of their slots."""
        entries = (positions[:, None] * BANDS + np.arange(BANDS)).ravel().astype(np.uint64)
        entries = entries[self._keys.reshape(-1)[entries] != 0]
        if not len(entries):
            return
        slots = self._keys.reshape(-1)[entries] & np.uint32(len(self._heads) - 1)
        packed = np.sort((slots.astype(np.uint64) << np.uint64(32)) | entries)  # by slot, then entry
        slots, entries = (packed >> np.uint64(32)).astype(np.int64), (packed & np.uint64(0xFFFF_FFFF)).astype(np.int64)
        first = np.ones(len(slots), dtype=bool)
        first[1:] = slots[1:] != slots[:-1]
        previous = np.empty(len(slots), dtype=np.uint32)
        previous[first] = self._heads[slots[first]]
        previous[1:][~first[1:]] = entries[:-1][~first[1:]] + 1
        self._next.reshape(-1)[entries] = previous
        last = np.ones(len(slots), dtype=bool)
        last[:-1] = first[1:]
        self._heads[slots[last]] = entries[last] + 1

    def _relink(self, slots: int) -> None:
        self._heads = np.zeros(0, dtype=np.uint32)  # the old slots go first: they are rebuilt anyway
        self._heads = np.zeros(slots, dtype=np.uint32)
        for start in range(0, self._rows, _RELINK_ROWS):
            stop = min(start + _RELINK_ROWS, self._rows)
            self._link(start + np.flatnonzero(self._banded[start:stop]))


def grown(array: np.ndarray, rows: int) -> np.ndarray:
    """A copy of ``array`` with room for ``rows`` rows: the new rows are left untouched, so they
    take no memory until written (rows are appended; capacity doubles)."""
    copy = np.empty((rows, *array.shape[1:]), dtype=array.dtype)
    copy[: len(array)] = array
    return copy
