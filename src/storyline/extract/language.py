"""Language of a text, offline (py3langid), as an ISO 639-1 code."""

from __future__ import annotations

import os
import re
import threading
from typing import Any

# Enough text to be sure, little enough to stay fast on long articles.
_SAMPLE_CHARS = 600
_MIN_LETTERS = 20
# Most texts are told at a glance: the first _GLANCE_CHARS, when one language leads the
# next by _GLANCE_MARGIN or more (log-likelihood), give the answer the full sample gives,
# at about half the cost. Measured on 5,519 samples (four windows of each Wikinews, ECB+
# and GVC text): 95% are decided at a glance, and 5,518 answers (99.98%) equal the full
# sample's; the one that differs opens inside a Spanish quotation in an English report
# (Spanish at a glance, English on 600 characters). On 1,230 samples of other languages
# and shapes (scrapinghub pages, feed items in German, Portuguese, Korean, Japanese,
# Russian...), 93% are decided at a glance and 99.92% equal.
_GLANCE_CHARS = 150
_GLANCE_MARGIN = 30.0
# At least _MIN_LETTERS letters: found by a match that stops at the twentieth, not by
# listing every letter of the sample.
_ENOUGH_LETTERS = re.compile(rf"(?:[\W\d_]*[^\W\d_]){{{_MIN_LETTERS}}}")

Ranked = list[tuple[str, float]]


def detect_language(text: str, hint: str | None = None) -> str | None:
    """The language of ``text``; the page's declared ``hint`` only breaks near-ties."""
    sample = text[:_SAMPLE_CHARS]
    if _ENOUGH_LETTERS.match(sample) is None:
        return hint
    rank = _ranker()  # loads py3langid on first use: its model takes ~0.3 s

    if len(sample) > _GLANCE_CHARS:
        (best, best_score), (_, second_score), *_ = rank(sample[:_GLANCE_CHARS], 2)
        if best_score - second_score >= _GLANCE_MARGIN:  # a hint, if another language, is as far behind
            return str(best)
    ranked = rank(sample, 5)
    best, best_score = ranked[0]
    if hint and hint != best:
        for code, score in ranked[1:5]:
            if code == hint and best_score - score < 5.0:
                return hint
    return str(best)


# ---- ranking -------------------------------------------------------------------------------
#
# ``rank(text, k)`` is ``py3langid.rank(text)[:k]``: the same labels, the same scores, the same
# order. py3langid's rank spends ~80 µs on a glance, mostly in three places replaced here: the
# byte-by-byte DFA walk in Python, the float16 -> float32 conversion of every feature row it
# scores (numpy converts float16 slowly) and the sort of all 140 labels. What stays is
# py3langid's model and arithmetic: its encoding of the text, the same float32 rows (converted
# once, when a feature is first met), the same matmul over the features in the same order
# (first occurrence), the same folding of aliased labels, the same order of equal scores.


class _PublicRank:
    """py3langid's public ``rank``, cut to k: for internals other than py3langid 0.4's."""

    def __call__(self, text: str, k: int) -> Ranked:
        import py3langid

        return py3langid.rank(text)[:k]

    def serves(self, identifier: Any) -> bool:
        return True


_current: tuple[Any, _PublicRank | _FastRanker] | None = None  # (py3langid.langid, its ranker)
_BUILD_LOCK = threading.Lock()


def _ranker() -> _PublicRank | _FastRanker:
    current = _current
    if current is not None and current[1].serves(getattr(current[0], "IDENTIFIER", None)):
        return current[1]
    return _new_ranker()


def _new_ranker() -> _PublicRank | _FastRanker:
    global _current
    import py3langid

    langid = getattr(py3langid, "langid", py3langid)
    with _BUILD_LOCK:
        if not callable(getattr(langid, "_get_identifier", None)):
            _current = langid, _PublicRank()  # not py3langid 0.4's layout: its public rank, as before
            return _current[1]
        identifier = langid._get_identifier()
        if _current is not None and _current[1].serves(identifier):
            return _current[1]
        rank: _PublicRank | _FastRanker
        try:
            rank = _FastRanker(langid, identifier)
        except _Unsupported:
            # Other internals (another py3langid version, normalised probabilities): the public
            # rank, which is what the fast one reproduces anyway.
            rank = _PublicRank()
        _current = langid, rank
        return rank


class _Unsupported(Exception):
    """The identifier is not laid out as py3langid 0.4's is."""


# Bytes that tell the state of py3langid 0.4's DFA (Aho-Corasick, features of up to 6 bytes):
# 5 for all but 198 of its 104,583 states (about 1 English glance in 5,000 meets one), 6 for all.
_WINDOWS = (5, 6)
_PAD_BYTES = max(_WINDOWS)
_PAD = 0xFF  # a byte UTF-8 never holds; from every state of that DFA it leads back to the start
_KEY_TOP = 2**31 - 2  # the key of byte position p is _KEY_TOP - p: the first position has the highest
_NO_FEATURE_KEY = 2**31 - 1  # above every key: "a state without feature" is never a first occurrence
_NO_SLOT = 2**31 - 1  # the slot of a feature whose row is not converted yet: out of the table's range
_ROWS_LOCK = threading.Lock()


def _reset_lock_in_child() -> None:
    global _ROWS_LOCK
    _ROWS_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)


class _FastRanker:
    """``rank(text)[:k]`` of one py3langid 0.4 identifier (norm_probs off), exactly, faster."""

    def __init__(self, langid: Any, identifier: Any) -> None:
        try:
            import numpy as np

            self._setup(np, langid, identifier)
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            raise _Unsupported(str(exc)) from exc

    def _setup(self, np: Any, langid: Any, identifier: Any) -> None:
        ptc, pc, classes = identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes
        if identifier._norm_probs or not callable(getattr(langid, "visit_counts", None)):
            raise _Unsupported("normalised probabilities, or no visit_counts")
        if not (
            isinstance(ptc, np.ndarray)
            and ptc.ndim == 2
            and ptc.dtype in (np.float16, np.float32)  # so that rank's scores are float32
            and isinstance(pc, np.ndarray)
            and pc.dtype == np.float32
            and pc.shape == (ptc.shape[1],)
            and len(classes) == ptc.shape[1] >= 1
        ):
            raise _Unsupported("not float16/float32 tables of matching shapes")
        self._np = np
        self._langid = langid
        self._identifier, self._ptc, self._classes = identifier, ptc, classes
        self._encode = identifier._encode
        self._pc = pc
        self._raw_floor = np.float32(langid.RAW_FLOOR)
        n_features, n_classes = ptc.shape
        self._n_features, self._n_classes = n_features, n_classes

        # The DFA as arrays: a view of py3langid's transitions, copies of the small tables.
        nextmove = identifier.tk_nextmove
        self._nextmove = (
            np.frombuffer(nextmove, dtype=np.dtype(nextmove.typecode))
            if hasattr(nextmove, "typecode")
            else np.asarray(nextmove)
        )
        self._rowbase = np.asarray(identifier._rowbase, dtype=np.intp)
        output = np.asarray(identifier.tk_output, dtype=np.intp)
        if len(output) != len(self._rowbase) or (output.size and output.max() >= n_features):
            raise _Unsupported("outputs do not match the states or the features")
        output[output < 0] = n_features  # a state without feature: the spare feature n_features
        self._output = output
        # From the start state, the state each pair of bytes leads to, as its row base.
        byte = np.arange(256, dtype=np.intp)
        first = self._nextmove.take(self._rowbase[0] + byte)
        second = self._nextmove.take((self._rowbase.take(first)[:, None] + byte[None, :]).ravel())
        self._pair_rowbase = self._rowbase.take(second)
        self._pad = bytes([_PAD]) * _PAD_BYTES
        limit = 1 << 13  # bytes; longer texts (not from detect_language) take py3langid's walk
        self._keys = (_KEY_TOP - np.arange(limit)).astype(np.int32)
        self._ones = np.ones(limit, dtype=np.int32)
        self._scratch = threading.local()  # per thread: first keys and counts, all zero between calls

        # float32 rows, converted from the model's when a feature is first met: a compact table
        # that grows with the features seen (a few thousand English texts: ~21,000 of 100,053).
        self._slot = np.full(n_features, _NO_SLOT, dtype=np.int32)
        self._rows = np.empty((1024, n_classes), dtype=np.float32)
        self._used = 0

        # One score per label, in the label's first column; aliases folded into it by max.
        first_column: dict[str, int] = {}
        for column, label in enumerate(classes):
            first_column.setdefault(label, column)
        if any(first_column[classes[i]] != i or classes[j] != classes[i] for i, j in identifier._alias_pairs):
            raise _Unsupported("alias pairs are not (first column, duplicate column)")
        position = {label: i for i, label in enumerate(first_column)}
        self._labels = list(first_column)
        self._first_columns = np.fromiter(first_column.values(), dtype=np.intp, count=len(first_column))
        self._folds = [(position[classes[i]], j) for i, j in identifier._alias_pairs]

    def serves(self, identifier: Any) -> bool:
        return (
            identifier is self._identifier and identifier.nb_ptc is self._ptc and identifier.nb_classes is self._classes
        )

    def __call__(self, text: str, k: int) -> Ranked:
        return self._top(self._scores(text), k)

    # -- the scores of LanguageIdentifier._decide, before the folding of aliases -------------------

    def _scores(self, text: str) -> Any:
        np = self._np
        data = self._encode(text)
        n = len(data)
        states = None
        if 0 < n <= len(self._keys):
            for window in _WINDOWS:
                states = self._states(data, window)
                if states is not None:
                    break
        if states is None:  # empty, long, or no window tells the states: py3langid's own walk
            found = self._visits(data)
            if found is None:
                return np.full(self._n_classes, self._raw_floor, dtype=np.float32)
            features, counts = found
        else:
            # The features in order of first occurrence with their counts, as visit_counts'
            # Counter holds them. Per feature, the highest key is that of its first position.
            met = self._output.take(states)
            keys = self._keys[:n]
            scratch = self._scratch.__dict__.pop("arrays", None)  # an interrupt leaves none, not dirty ones
            if scratch is None:
                scratch = np.zeros(self._n_features + 1, np.int32), np.zeros(self._n_features + 1, np.int32)
                scratch[0][self._n_features] = _NO_FEATURE_KEY
            first, count = scratch
            np.maximum.at(first, met, keys)
            np.add.at(count, met, self._ones[:n])
            features = met[first.take(met) == keys]
            counts = count.take(features).astype(np.float32)
            first.put(met, 0)
            count.put(met, 0)
            first[self._n_features] = _NO_FEATURE_KEY
            self._scratch.arrays = scratch
            if not len(features):
                return np.full(self._n_classes, self._raw_floor, dtype=np.float32)
        slots = self._slot.take(features)  # before the table: a newer table holds these rows too
        try:
            rows = self._rows.take(slots, axis=0)
        except IndexError:  # a feature met for the first time: its slot is out of range
            slots = self._add_rows(features)
            rows = self._rows.take(slots, axis=0)
        return np.log1p(counts) @ rows + self._pc  # _sparse_score's expression, on the same values

    def _visits(self, data: bytes) -> tuple[Any, Any] | None:
        np = self._np
        identifier = self._identifier
        visits = self._langid.visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data)
        if not visits:
            return None
        features = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        return features, np.fromiter(visits.values(), dtype=np.float32, count=len(visits))

    def _states(self, data: bytes, window: int) -> Any | None:
        """The DFA state after each byte of ``data``, or None when ``window`` bytes do not tell it.

        An Aho-Corasick automaton is, after each byte, in the state of the longest feature prefix
        ending there: its state depends on the last few bytes only (as many as its depth), so the
        walks of all windows run side by side, a few array steps instead of a Python loop over
        bytes. Then one DFA step from each state must give the next state, from the start state
        on: when it does, these are the states py3langid's walk goes through, whatever the DFA.
        """
        np = self._np
        nextmove, rowbase = self._nextmove, self._rowbase
        padded = np.frombuffer(self._pad + data, dtype=np.uint8).astype(np.intp)
        m = len(data) + 1  # the windows ending on the last pad byte, then on each byte of data
        at = _PAD_BYTES - window
        base = self._pair_rowbase.take((padded[at : at + m] << 8) | padded[at + 1 : at + 1 + m])
        for step in range(at + 2, _PAD_BYTES - 1):
            base += padded[step : step + m]
            base = rowbase.take(nextmove.take(base))
        base += padded[_PAD_BYTES - 1 : _PAD_BYTES - 1 + m]
        states = nextmove.take(base)
        check = rowbase.take(states[:-1])
        check += padded[_PAD_BYTES:]
        if states[0] != 0 or np.count_nonzero(nextmove.take(check) != states[1:]):
            return None
        return states[1:]

    def _add_rows(self, features: Any) -> Any:
        """Convert the rows of the features not met before; the slots of all ``features``."""
        np = self._np
        with _ROWS_LOCK:
            slots = self._slot.take(features)
            missing = features[slots == _NO_SLOT]
            used, added = self._used, len(missing)
            rows = self._rows
            if used + added > len(rows):
                size = min(max(2 * len(rows), used + added), self._n_features)
                grown = np.empty((size, self._n_classes), dtype=np.float32)
                grown[:used] = rows[:used]
                self._rows = rows = grown
            rows[used : used + added] = self._ptc.take(missing, axis=0)  # float16 -> float32 is exact
            self._used = used + added  # before the slots name these rows
            self._slot.put(missing, np.arange(used, used + added, dtype=np.int32))
            return self._slot.take(features)

    # -- the first k of rank(): one entry per label, best first, equal scores in column order ----

    def _top(self, scores: Any, k: int) -> Ranked:
        np = self._np
        labels = self._labels
        merged = scores.take(self._first_columns)
        for position, column in self._folds:  # as _decide: first = max(first, duplicate), pair by pair
            if scores[column] > merged[position]:
                merged[position] = scores[column]
        if k == 2 and len(labels) >= 2:
            best = int(merged.argmax())  # the first of equal scores, as rank's stable sort
            best_score = float(merged[best])
            merged[best] = -np.inf
            second = int(merged.argmax())
            return [(labels[best], best_score), (labels[second], float(merged[second]))]
        order = np.argsort(-merged, kind="stable")[:k]
        return [(labels[i], float(merged[i])) for i in order.tolist()]
