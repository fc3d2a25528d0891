"""Syndication groups: which copy of a wire story is the original, and who carried it.

The original, in order of preference:

1. a copy whose outlet *is* an agency the group's credits name (AFP's own copy of an AFP
   story), the earliest such;
2. else the earliest complete copy: among copies not known to be partial (teasers) and at
   least ``COMPLETE_SHARE`` as long as the longest (so feed teasers and trimmed copies are not
   "original" for being early), the one published first; undated copies count as latest; ties
   go to the longest, then the first added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from storyline.dedupe.agencies import GENERIC_CREDITS, outlet_agency

__all__ = ["COMPLETE_SHARE", "Copy", "SyndicationGroup", "syndication_group", "syndication_original"]

COMPLETE_SHARE = 0.6
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Copy:
    """One outlet's copy of a story, as the duplicates stage knows it."""

    doc_id: str
    credits: tuple[str, ...] = ()  # agencies credited in the text ("AFP"), as the extract stage names them
    outlet: str | None = None
    published: datetime | None = None  # timezone-aware (UTC)
    words: int = 0
    partial: bool = False  # found to be a teaser or excerpt of another copy


@dataclass(frozen=True, slots=True)
class SyndicationGroup:
    """Copies of one story: its original, the agency credited (if any) and the outlets that carried it."""

    original_id: str
    agency: str | None
    carried_by: tuple[str, ...]  # outlets of the other copies, first seen first, without repeats
    doc_ids: tuple[str, ...]


def _credited_agencies(members: Sequence[Copy]) -> list[str]:
    counts: dict[str, int] = {}
    for copy in members:
        for credit in dict.fromkeys(copy.credits):
            if credit not in GENERIC_CREDITS:
                counts[credit] = counts.get(credit, 0) + 1
    return sorted(counts, key=lambda name: -counts[name])  # most credited first, then first seen


def _when(copy: Copy) -> datetime:
    return copy.published or _LATEST


def syndication_original(members: Sequence[Copy]) -> str:
    """The id of the group's original copy (rules in the module docstring)."""
    if not members:
        raise ValueError("a syndication group needs at least one copy")
    agencies = _credited_agencies(members)
    own_copies = [
        (agencies.index(agency), i, c) for i, c in enumerate(members) if (agency := outlet_agency(c.outlet)) in agencies
    ]
    if own_copies:
        return min(own_copies, key=lambda item: (item[0], _when(item[2]), item[1]))[2].doc_id
    whole = [c for c in members if not c.partial] or list(members)
    longest = max(copy.words for copy in whole)
    complete = [(i, c) for i, c in enumerate(members) if c in whole and c.words >= COMPLETE_SHARE * longest]
    return min(complete, key=lambda item: (_when(item[1]), -item[1].words, item[0]))[1].doc_id


def syndication_group(members: Sequence[Copy]) -> SyndicationGroup:
    """The group's original, credited agency and carrying outlets ("AFP report, carried by X and 3 others")."""
    original_id = syndication_original(members)
    agencies = _credited_agencies(members)
    original = next(c for c in members if c.doc_id == original_id)
    carried = [c.outlet for c in members if c.doc_id != original_id and c.outlet and c.outlet != original.outlet]
    return SyndicationGroup(
        original_id=original_id,
        agency=agencies[0] if agencies else None,
        carried_by=tuple(dict.fromkeys(carried)),
        doc_ids=tuple(c.doc_id for c in members),
    )
