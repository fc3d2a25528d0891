"""Language of a text, offline (py3langid), as an ISO 639-1 code."""

from __future__ import annotations

import re

# Enough text to be sure, little enough to stay fast on long articles.
_SAMPLE_CHARS = 600
_MIN_LETTERS = 20


def detect_language(text: str, hint: str | None = None) -> str | None:
    """The language of ``text``; the page's declared ``hint`` only breaks near-ties."""
    sample = text[:_SAMPLE_CHARS]
    if len(re.findall(r"[^\W\d_]", sample)) < _MIN_LETTERS:
        return hint
    import py3langid  # imported on first use: loading its model takes ~0.3 s

    ranked = py3langid.rank(sample)
    best, best_score = ranked[0]
    if hint and hint != best:
        for code, score in ranked[1:5]:
            if code == hint and best_score - score < 5.0:
                return hint
    return str(best)
