"""Credit for copies: a group's original, its agency and the outlets that carried it."""

from __future__ import annotations

from storyline.dedupe import Copy, SyndicationGroup, syndication_group
from storyline.store import CopyStore

__all__ = ["syndication_of"]


def syndication_of(store: CopyStore, article_id: int) -> SyndicationGroup | None:
    """The group of copies ``article_id`` belongs to, its original and carrying outlets; None alone."""
    members = store.group_members(article_id)
    if len(members) < 2:
        return None
    copies = [Copy(str(a.id), credits=a.credits, outlet=a.outlet, published=a.published, words=a.word_count)
              for a in members]
    return syndication_group(copies)
