"""The duplicates stage's heuristics as data: shingle sizes, LSH bands and decision thresholds.

The decision thresholds are tuned on the *fit* part of ``data/quality/dedupe.jsonl`` only
(``storyline.evaluate.splits.dedupe_part``), by ``scripts/tune_dedupe_thresholds.py``: a grid
scan that keeps the point with the best lower-of (precision, recall), then the best original,
then the best sum. The gate part is scored by ``tests/test_dedupe_quality.py`` and never tuned on. Change them
only with that scan and that gate run, and say in the commit what moved.
"""

from __future__ import annotations

# --- Shingling -------------------------------------------------------------------------------
WORD_SHINGLE = 5  # words per shingle (lower-case \w+ tokens), never across a paragraph break
CHAR_SHINGLE = 4  # characters per shingle for scripts written without spaces (CJK, Thai, ...)
# A text is shingled by characters when at least this share of its word characters belong to
# scripts written without spaces.
CHAR_MODE_SHARE = 0.3
# Characters per "word" when a character-shingled text is measured against MIN_WORDS.
CHARS_PER_WORD = 2.5

# --- Signature -------------------------------------------------------------------------------
NUM_PERM = 128
# Signatures of the text's first N shingles (its opening), for teasers vs full text. Computed
# over the first PREFIX_PERM permutations only, to keep the per-document footprint small.
PREFIX_CHECKPOINTS = (40, 80, 160, 320)
PREFIX_PERM = 64
# Windows: signatures (PREFIX_PERM permutations) of the PREFIX_CHECKPOINTS[0] shingles from the
# start of the text's second, third ... paragraph. A page's extracted text often opens with
# lines its feed teaser lacks (captions, standfirst, "Related" links): the teaser's opening is
# then the page's window, not its opening.
WINDOWS = 2
# Permutations of each window the index keeps to verify a teaser's opening against (a window
# that matches agrees on ~0.8 of them, one that does not on ~0): half the opening's, to save memory.
WINDOW_CHECK_PERM = 64
# Shingles hashed at once: bounds memory on megabyte texts, and the (128 x 1024) uint32 hash
# matrix stays in the CPU cache (faster than 16k rows).
ROWS_PER_CHUNK = 1024
SIGN_PART = 250  # texts per task when signing in worker processes (smaller batches stay in cache)

# --- LSH -------------------------------------------------------------------------------------
# Full-text bands: 32 bands of 4 rows; a pair at Jaccard 0.5 becomes a candidate with
# probability 1-(1-0.5**4)**32 = 0.87, at 0.6 0.99, at 0.2 0.05.
FULL_BANDS = 32
FULL_ROWS = 4
# Opening bands (over the signature of the first PREFIX_CHECKPOINTS[0] shingles): 16 bands of
# 3 rows, so a teaser whose opening matches the full text's (Jaccard >= 0.6) is found (0.98).
LEAD_BANDS = 16
LEAD_ROWS = 3
# Window bands: the first WINDOW_BANDS opening bands' rows over each window, keyed as the
# opening's, so a teaser's opening meets the page paragraph it starts at (Jaccard >= 0.6: 0.98).
WINDOW_BANDS = 8
MAX_CANDIDATES = 64  # verified per query, most band collisions first

# --- Decision --------------------------------------------------------------------------------
MIN_WORDS = 40  # shorter texts are never declared duplicates by content alone
NEAR_DUPLICATE_JACCARD = 0.6  # estimated Jaccard of the whole texts' shingles
# A teaser: the shorter text's shingles are (estimated) mostly in the longer one, and the
# shorter text matches the longer one's opening of about its own length.
TEASER_CONTAINMENT = 0.4
TEASER_OPENING_JACCARD = 0.4
