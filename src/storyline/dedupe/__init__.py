"""Duplicates stage: near-duplicate copies of a text and syndication groups of wire copy.

``DuplicateIndex.add`` says which earlier text a new one copies (MinHash LSH candidates,
verified by estimated Jaccard and containment); ``syndication_group`` names a group's
original (the credited agency's own copy, else the earliest complete copy) and the outlets
that carried it. Thresholds live in ``storyline.dedupe.thresholds``.

For many texts at once, ``signatures`` signs a batch (in worker processes if asked) and
``DuplicateIndex.add_batch`` adds it, with the same outcome as ``add`` one by one: a million
400-word articles at over 5,000 a second on two cores, 1.84 GB at the peak (``bench/dedupe.py``).
"""

from storyline.dedupe.index import DuplicateIndex, Match
from storyline.dedupe.signature import Signature, Signatures, signature, signatures
from storyline.dedupe.syndication import Copy, SyndicationGroup, syndication_group, syndication_original

__all__ = [
    "Copy",
    "DuplicateIndex",
    "Match",
    "Signature",
    "Signatures",
    "SyndicationGroup",
    "signature",
    "signatures",
    "syndication_group",
    "syndication_original",
]
