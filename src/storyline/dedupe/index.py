"""Near-duplicate detection: LSH candidates over MinHash signatures, then verification.

A new text is compared with the texts already added, in three steps:

1. Candidates: texts sharing an LSH band of the whole-text signature (near-identical copies)
   or of the opening's signature (a feed teaser and its full text share their opening).
2. Verification, per candidate, both texts at least ``MIN_WORDS`` words long:
   a. near-duplicate when the estimated Jaccard of the whole texts >= ``NEAR_DUPLICATE_JACCARD``
      (robust to boilerplate, dropped or reordered paragraphs, datelines, "Read more" lines);
   b. teaser when the shorter text is (estimated) mostly contained in the longer one
      (``TEASER_CONTAINMENT``) and matches the longer one's opening of about its own length
      (``TEASER_OPENING_JACCARD``).
   Different reports of one event share facts and quotes, not runs of five words, so they
   fail both tests.
3. The best verified candidate (highest score) is the match; the new text joins its group.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from storyline.dedupe import thresholds as t
from storyline.dedupe.signature import Signature, signature
from storyline.dedupe.syndication import Copy

__all__ = ["DuplicateIndex", "Match"]

_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class Match:
    """An earlier text the new one copies: which, its group, how similar and by which rule."""

    doc_id: str  # the added text that matched best
    group_id: str  # the first text of that text's group (its syndication group)
    jaccard: float  # estimated Jaccard of the whole texts
    containment: float  # estimated share of the shorter text's shingles found in the longer
    rule: str  # "near-duplicate" or "teaser"
    shingles_matched: int = 0  # distinct shingles of the matched text


def _band_keys(values: np.ndarray, bands: int, rows: int, salt: int) -> list[int]:
    """One 64-bit key per band (band number mixed in, so bands never collide with each other)."""
    block = values[: bands * rows].astype(np.uint64).reshape(bands, rows)
    with np.errstate(over="ignore"):
        keys = np.full(bands, np.uint64(salt), dtype=np.uint64)
        for r in range(rows):
            keys = (keys ^ block[:, r]) * _BAND_MIX
        keys ^= np.arange(bands, dtype=np.uint64) * np.uint64(0x632BE59BD9B4E019)
    return keys.tolist()


def containment(small: Signature, large: Signature, jaccard: float) -> float:
    """Estimated share of ``small``'s shingles in ``large``: |A∩B|/|A| = J(|A|+|B|) / ((1+J)|A|)."""
    if small.shingles == 0:
        return 0.0
    return min(1.0, jaccard * (small.shingles + large.shingles) / ((1.0 + jaccard) * small.shingles))


def opening_jaccard(small: Signature, large: Signature) -> float:
    """Best estimated Jaccard of the shorter text against an opening of the longer one near its length."""
    head = small.values[: t.PREFIX_PERM]
    best = 0.0
    for k, checkpoint in enumerate(t.PREFIX_CHECKPOINTS):
        # Openings far shorter or longer than the small text cannot match it well; skip them.
        if checkpoint < small.shingles / 3 or checkpoint > small.shingles * 3:
            continue
        best = max(best, float(np.count_nonzero(head == large.openings[k])) / t.PREFIX_PERM)
    return best


def verify(new: Signature, old: Signature) -> Match | None:
    """Whether two signatures are copies of one text (``doc_id``/``group_id`` left empty)."""
    if new.words < t.MIN_WORDS or old.words < t.MIN_WORDS or new.shingles == 0 or old.shingles == 0:
        return None
    jaccard = new.jaccard(old)
    small, large = (new, old) if new.shingles <= old.shingles else (old, new)
    contained = containment(small, large, jaccard)
    if jaccard >= t.NEAR_DUPLICATE_JACCARD:
        return Match("", "", jaccard, contained, "near-duplicate")
    if contained >= t.TEASER_CONTAINMENT and opening_jaccard(small, large) >= t.TEASER_OPENING_JACCARD:
        return Match("", "", jaccard, contained, "teaser")
    return None


class DuplicateIndex:
    """Texts added so far, found again by their copies. Not thread-safe; one writer.

    Memory per text: its signature (128 + 4x64 uint32) and 48 band keys.
    """

    def __init__(self, *, num_perm: int = t.NUM_PERM) -> None:
        self._num_perm = num_perm
        self._ids: list[str] = []
        self._signatures: list[Signature] = []
        self._copies: list[Copy] = []
        self._group_of: list[int] = []  # position of each text's group's first text
        self._bands: dict[int, list[int]] = {}
        self._positions: dict[str, int] = {}

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
        sig = signature(text, num_perm=self._num_perm)
        keys = self._keys(sig)
        match = self._best_match(sig, keys)
        position = len(self._ids)
        self._ids.append(doc_id)
        self._signatures.append(sig)
        partial = match is not None and match.rule == "teaser" and sig.shingles <= match.shingles_matched
        self._copies.append(
            Copy(doc_id, credits=tuple(credits), outlet=outlet, published=published, words=sig.words, partial=partial)
        )
        if match is not None and match.rule == "teaser" and not partial:
            old = self._positions[match.doc_id]
            self._copies[old] = replace(self._copies[old], partial=True)
        self._positions[doc_id] = position
        self._group_of.append(self._positions[match.group_id] if match else position)
        for key in keys:
            self._bands.setdefault(key, []).append(position)
        return match

    def group(self, doc_id: str) -> tuple[Copy, ...]:
        """The copies in ``doc_id``'s group, in the order they were added (itself included)."""
        root = self._group_of[self._positions[doc_id]]
        return tuple(self._copies[p] for p, g in enumerate(self._group_of) if g == root)

    def groups(self) -> list[tuple[Copy, ...]]:
        """Every group of two or more copies, in order of their first text."""
        members: dict[int, list[Copy]] = {}
        for position, root in enumerate(self._group_of):
            members.setdefault(root, []).append(self._copies[position])
        return [tuple(copies) for copies in members.values() if len(copies) > 1]

    def _keys(self, sig: Signature) -> list[int]:
        if sig.words < t.MIN_WORDS or sig.shingles == 0:
            return []  # never a duplicate by content: not worth a place in the bands either
        full = _band_keys(sig.values, t.FULL_BANDS, t.FULL_ROWS, salt=1)
        # A text shorter than the first opening is its own opening, so a teaser and its full
        # text meet here whichever arrives first.
        lead = _band_keys(sig.openings[0], t.LEAD_BANDS, t.LEAD_ROWS, salt=2)
        return full + lead

    def _best_match(self, sig: Signature, keys: list[int]) -> Match | None:
        hits: Counter[int] = Counter()
        for key in keys:
            hits.update(self._bands.get(key, ()))
        best: Match | None = None
        for position, _ in hits.most_common(t.MAX_CANDIDATES):
            found = verify(sig, self._signatures[position])
            if found is None:
                continue
            score = max(found.jaccard, found.containment)
            if best is None or score > max(best.jaccard, best.containment):
                root = self._ids[self._group_of[position]]
                old = self._signatures[position]
                best = Match(self._ids[position], root, found.jaccard, found.containment, found.rule, old.shingles)
        return best
