"""Duplicates stage: near-duplicate copies of a text and syndication groups of wire copy.

``DuplicateIndex.add`` says which earlier text a new one copies (MinHash LSH candidates,
verified by estimated Jaccard and containment); ``syndication_group`` names a group's
original (the credited agency's own copy, else the earliest complete copy) and the outlets
that carried it. Thresholds live in ``storyline.dedupe.thresholds``.
"""

from storyline.dedupe.index import DuplicateIndex, Match
from storyline.dedupe.signature import Signature, signature
from storyline.dedupe.syndication import Copy, SyndicationGroup, syndication_group, syndication_original

__all__ = [
    "Copy",
    "DuplicateIndex",
    "Match",
    "Signature",
    "SyndicationGroup",
    "signature",
    "syndication_group",
    "syndication_original",
]
