"""Near-duplicate detection: LSH candidates over MinHash signatures, then verification.

A new text is compared with the texts already added, in three steps:

1. Candidates: texts sharing an LSH band of the whole-text signature (near-identical copies),
   of the opening's signature (a feed teaser and its full text share their opening), or of a
   window's, keyed as the opening's (a teaser starts at the page's second or third paragraph
   when the page's text opens with lines the feed lacks: captions, standfirst, "Related" links).
2. Verification, per candidate, both texts at least ``MIN_WORDS`` words long:
   a. near-duplicate when the estimated Jaccard of the whole texts >= ``NEAR_DUPLICATE_JACCARD``
      (robust to boilerplate, dropped or reordered paragraphs, datelines, "Read more" lines);
   b. teaser when the shorter text is (estimated) mostly contained in the longer one
      (``TEASER_CONTAINMENT``: the larger of the estimate from the whole texts and from the
      longer one's openings about the shorter one's size, far less noisy for a 100-word teaser
      of an 800-word page) and matches the longer one's opening of about its own length, or its
      opening matches the longer one's opening or a window (``TEASER_OPENING_JACCARD``).
   Different reports of one event share facts, quotes and the police statement, not most of
   the shorter one's runs of five words, so they fail both tests.
3. The best verified candidate (highest score) is the match; the new text joins its group.

``add_batch`` runs the steps for a batch of signed texts at once, with the same outcome as
adding them one by one: a text's candidates are the texts added before it, earlier texts of
its batch included. Storage is numpy columns, about 1.5 KB a text (see ``DuplicateIndex``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from storyline.dedupe import thresholds as t
from storyline.dedupe.bands import BandTable, band_keys, grown
from storyline.dedupe.signature import Signatures, signatures
from storyline.dedupe.syndication import Copy

__all__ = ["DuplicateIndex", "Match"]

_CHECKPOINTS = np.array(t.PREFIX_CHECKPOINTS, dtype=np.float64)
# Signatures are kept as their low bits ("b-bit MinHash"): two different minima agree by chance
# once in 2**bits, which raises an estimated Jaccard J by (1 - J) / 2**bits. 16 bits for the
# whole text (+0.00002), 8 for the openings, which only the teaser rule reads (+0.004, a
# quarter of one agreeing permutation out of 64): 448 bytes a text instead of 1,536.
_KEPT = np.uint16
_KEPT_OPENINGS = np.uint8


@dataclass(frozen=True, slots=True)
class Match:
    """An earlier text the new one copies: which, its group, how similar and by which rule."""

    doc_id: str  # the added text that matched best
    group_id: str  # the first text of that text's group (its syndication group)
    jaccard: float  # estimated Jaccard of the whole texts
    containment: float  # estimated share of the shorter text's shingles found in the longer
    rule: str  # "near-duplicate" or "teaser"
    shingles_matched: int = 0  # distinct shingles of the matched text


@dataclass(frozen=True, slots=True)
class _Verified:
    """Verified candidate pairs, one row each."""

    new: np.ndarray  # position of the text being added
    old: np.ndarray  # position of the earlier text
    jaccard: np.ndarray
    containment: np.ndarray
    teaser: np.ndarray  # matched by the teaser rule (else near-duplicate)

    def take(self, rows: np.ndarray) -> _Verified:
        return _Verified(self.new[rows], self.old[rows], self.jaccard[rows], self.containment[rows], self.teaser[rows])


class DuplicateIndex:
    """Texts added so far, found again by their copies. Not thread-safe; one writer.

    Memory per text: its signature (uint16), openings and windows (uint8), 640 bytes; its 64
    band keys and their chain, 512 bytes, and its share of the band slots, up to 256; a few
    counters and its id. ``bench/dedupe.py`` measures 1.84 GB at the peak for a million texts
    (1.46 GB before windows).
    """

    def __init__(self, *, num_perm: int = t.NUM_PERM) -> None:
        self._num_perm = num_perm
        self._ids: list[str] = []
        self._positions: dict[str, int] = {}
        self._details: dict[int, tuple[tuple[str, ...], str | None, datetime | None]] = {}  # only when given
        self._bands = BandTable()
        self._values = np.zeros((0, num_perm), dtype=_KEPT)
        self._openings = np.zeros((0, len(t.PREFIX_CHECKPOINTS), t.PREFIX_PERM), dtype=_KEPT_OPENINGS)
        self._windows = np.zeros((0, t.WINDOWS, t.WINDOW_CHECK_PERM), dtype=_KEPT_OPENINGS)
        self._words = np.zeros(0, dtype=np.int32)
        self._shingles = np.zeros(0, dtype=np.int32)
        self._group_of = np.zeros(0, dtype=np.int32)  # position of each text's group's first text
        self._partial = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._positions

    def add(
        self,
        doc_id: str,
        text: str,
        *,
        credits: tuple[str, ...] = (),
        published: datetime | None = None,
        outlet: str | None = None,
        title: str | None = None,
    ) -> Match | None:
        """Add a text; return the earlier text it duplicates, or None. Adding an id twice is an error."""
        if doc_id in self._positions:
            raise ValueError(f"document {doc_id!r} is already in the duplicate index")
        signed = signatures([text], num_perm=self._num_perm)
        return self.add_batch([doc_id], signed, credits=[tuple(credits)], published=[published], outlets=[outlet])[0]

    def add_batch(
        self,
        doc_ids: Sequence[str],
        signed: Signatures,
        *,
        credits: Sequence[tuple[str, ...]] | None = None,
        published: Sequence[datetime | None] | None = None,
        outlets: Sequence[str | None] | None = None,
    ) -> list[Match | None]:
        """Add signed texts in order; for each, the earlier text it duplicates, or None.

        The same as ``add`` one by one (earlier texts of the batch are candidates too), with
        ``signed`` from ``signatures``. ``credits``, ``published`` and ``outlets``, when given,
        have one entry per text. Nothing is added when an id is already in or repeated.
        """
        self._check_batch(doc_ids, signed, credits, published, outlets)
        first, n = len(self._ids), len(doc_ids)
        self._store(signed)
        banded = (signed.words >= t.MIN_WORDS) & (signed.shingles > 0)
        self._bands.add(band_keys(signed.values, signed.openings, signed.windows), banded)
        self._ids.extend(doc_ids)
        self._positions.update(zip(doc_ids, range(first, first + n), strict=True))
        if credits or published or outlets:
            for i in range(n):
                details = (tuple(credits[i]) if credits else (), outlets[i] if outlets else None,
                           published[i] if published else None)
                if details != ((), None, None):
                    self._details[first + i] = details
        queries = first + np.flatnonzero(banded)
        return self._assign(first, n, self._best_matches(queries))

    def group(self, doc_id: str) -> tuple[Copy, ...]:
        """The copies in ``doc_id``'s group, in the order they were added (itself included)."""
        root = self._group_of[self._positions[doc_id]]
        return tuple(self._copy(p) for p in np.flatnonzero(self._group_of[: len(self)] == root).tolist())

    def groups(self) -> list[tuple[Copy, ...]]:
        """Every group of two or more copies, in order of their first text."""
        group_of = self._group_of[: len(self)]
        sizes = np.bincount(group_of, minlength=len(self))
        members = np.flatnonzero(sizes[group_of] > 1)
        members = members[np.argsort(group_of[members], kind="stable")]  # by group, then position
        cuts = np.flatnonzero(np.diff(group_of[members])) + 1
        return [tuple(self._copy(p) for p in part.tolist()) for part in np.split(members, cuts) if len(part)]

    def _check_batch(self, doc_ids: Sequence[str], signed: Signatures, *columns: Sequence | None) -> None:
        if len(signed) != len(doc_ids) or any(c is not None and len(c) != len(doc_ids) for c in columns):
            raise ValueError(f"{len(doc_ids)} ids need {len(doc_ids)} signatures and details, got {len(signed)}")
        if signed.values.shape[1] != self._num_perm:
            raise ValueError(f"signatures of {signed.values.shape[1]} permutations, the index uses {self._num_perm}")
        if len(set(doc_ids)) != len(doc_ids) or any(d in self._positions for d in doc_ids):
            seen: set[str] = set()
            for doc_id in doc_ids:
                if doc_id in self._positions or doc_id in seen:
                    raise ValueError(f"document {doc_id!r} is already in the duplicate index")
                seen.add(doc_id)

    def _store(self, signed: Signatures) -> None:
        first, n = len(self._ids), len(signed)
        if first + n > len(self._words):
            capacity = max(1024, 2 * len(self._words), first + n)
            for name in ("_values", "_openings", "_windows", "_words", "_shingles", "_group_of", "_partial"):
                setattr(self, name, grown(getattr(self, name), capacity))
        rows = slice(first, first + n)
        self._values[rows] = signed.values.astype(_KEPT)  # the low bits
        self._openings[rows] = signed.openings.astype(_KEPT_OPENINGS)
        self._windows[rows] = signed.windows[:, :, : t.WINDOW_CHECK_PERM].astype(_KEPT_OPENINGS)
        self._words[rows] = signed.words
        self._shingles[rows] = signed.shingles
        self._group_of[rows] = np.arange(first, first + n)
        self._partial[rows] = False

    def _best_matches(self, queries: np.ndarray) -> _Verified:
        """Per query position with a verified candidate, the best one (highest score, most bands, earliest)."""
        query, old, shared = self._bands.candidates(queries, limit=t.MAX_CANDIDATES)
        if not len(query):  # most texts: no earlier text shares a band
            return _Verified(*(np.zeros(0, dtype=np.int64) for _ in range(4)), np.zeros(0, dtype=bool))
        order = np.lexsort((old, -shared, query))  # per query: most bands shared first
        query, old = query[order], old[order]
        rank = np.arange(len(query)) - np.searchsorted(query, query)
        kept = rank < t.MAX_CANDIDATES
        pairs, ok = self._verify(queries[query[kept]], old[kept])
        pairs, rank = pairs.take(ok), rank[kept][ok]
        best = np.lexsort((rank, -np.maximum(pairs.jaccard, pairs.containment), pairs.new))
        first = np.ones(len(best), dtype=bool)
        first[1:] = pairs.new[best][1:] != pairs.new[best][:-1]
        return pairs.take(best[first])

    def _verify(self, new: np.ndarray, old: np.ndarray) -> tuple[_Verified, np.ndarray]:
        """The rules of the module docstring, on pairs of stored texts (both banded)."""
        jaccard = np.count_nonzero(self._values[new] == self._values[old], axis=1) / self._num_perm
        new_is_small = self._shingles[new] <= self._shingles[old]
        small, large = np.where(new_is_small, new, old), np.where(new_is_small, old, new)
        s_small = self._shingles[small].astype(np.float64)
        s_large = self._shingles[large].astype(np.float64)
        contained = np.minimum(1.0, jaccard * (s_small + s_large) / ((1.0 + jaccard) * s_small))
        near = jaccard >= t.NEAR_DUPLICATE_JACCARD
        # The small text against the large one's openings about its size: how alike (Jaccard),
        # and how much of it they hold. Openings far shorter or longer than the small text tell
        # little; they are skipped. An opening near the small text's size estimates its
        # containment far better than the whole large text does (a 100-word teaser is 1/8 of
        # an 800-word page: a few permutations more or less swing the estimate by 0.2).
        head = self._values[small, None, : t.PREFIX_PERM].astype(_KEPT_OPENINGS)
        agree = np.count_nonzero(self._openings[large] == head, axis=2) / t.PREFIX_PERM
        shortest, longest = s_small[:, None] / 3, s_small[:, None] * 3
        usable = (shortest <= _CHECKPOINTS) & (longest >= _CHECKPOINTS)
        sizes = np.minimum(_CHECKPOINTS, s_large[:, None])  # shingles in each opening of the large text
        held = agree * (s_small[:, None] + sizes) / ((1.0 + agree) * s_small[:, None])
        opening = np.where(usable, agree, 0.0).max(axis=1, initial=0.0)
        contained = np.maximum(contained, np.minimum(1.0, np.where(usable, held, 0.0).max(axis=1, initial=0.0)))
        # The small text's opening against the large one's opening and windows: a teaser starts
        # where the page's text does, or at its second or third paragraph.
        lead = self._openings[small, :1, : t.WINDOW_CHECK_PERM]
        starts = np.concatenate([self._openings[large, :1, : t.WINDOW_CHECK_PERM], self._windows[large]], axis=1)
        window = np.count_nonzero(starts == lead, axis=2).max(axis=1) / t.WINDOW_CHECK_PERM
        teaser = ~near & (contained >= t.TEASER_CONTAINMENT) & (np.maximum(opening, window) >= t.TEASER_OPENING_JACCARD)
        return _Verified(new, old, jaccard, contained, teaser), near | teaser

    def _assign(self, first: int, n: int, best: _Verified) -> list[Match | None]:
        """Join each matched text to its match's group, in order (a match may be earlier in the batch)."""
        matches: list[Match | None] = [None] * n
        group_of, shingles = self._group_of, self._shingles
        for new, old, jaccard, contained, teaser in zip(
            best.new.tolist(), best.old.tolist(), best.jaccard.tolist(), best.containment.tolist(),
            best.teaser.tolist(), strict=True,
        ):
            root = int(group_of[old])
            group_of[new] = root
            if teaser:
                # The shorter of the two is the partial copy (the teaser), whichever came first.
                self._partial[new if shingles[new] <= shingles[old] else old] = True
            matches[new - first] = Match(self._ids[old], self._ids[root], jaccard, contained,
                                         "teaser" if teaser else "near-duplicate", int(shingles[old]))
        return matches

    def _copy(self, position: int) -> Copy:
        credits, outlet, published = self._details.get(position, ((), None, None))
        return Copy(self._ids[position], credits=credits, outlet=outlet, published=published,
                    words=int(self._words[position]), partial=bool(self._partial[position]))
