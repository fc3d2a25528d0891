"""The stored entities stage: an article's entities joined to the archive's, and stored with its quotes.

The entities and quotes themselves are found per article, where the article is prepared
(``pipeline.ARTICLE_STAGES``); this stage only needs what other articles said. An article's
entity joins an archive entity, in order (the first rule that finds one):

1. the same name, spelling aside ("Zelenskiy" = "Zelenskyy", ``entities.name_key``), or one of
   its spellings ("Volodymyr Zelenskyy" named "Zelenskiy" in an earlier article's headline);
2. a one-word name and the one person of the archive with that surname ("Putin" -> Vladimir
   Putin); two or more such people and the word joins none of them;
3. a full name and the one-word entity an earlier article made of its surname (that entity
   takes the full name);

and the types must agree (an entity typed "other" agrees with any). Otherwise it is a new
entity. The archive's keys are read once, on first use, and kept up to date in memory.
Thread-safe: fetch threads store batches concurrently.

Shared (``queue`` setting: workers in several processes store articles): one process at a
time joins and stores (the ``entities`` lease), and a process reads the keys again when
another one stored entities since its last turn, so two processes never make two entities
of one name.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import structlog

from storyline.config import Settings
from storyline.entities import name_key
from storyline.ingest.items import NewArticle
from storyline.ingest.leases import holder_name, holding
from storyline.store import CheckpointStore, EntityStore
from storyline.types import ArticleEntity, EntityLink, EntityType

__all__ = ["EntityStage", "entity_keys"]

log = structlog.get_logger(__name__)

_SURNAME = "surname:"
# Shared: the lease of the one process joining entities at a time, held for one batch.
_LEASE = "entities"
_LEASE_SECONDS = 60.0


def entity_keys(entity: ArticleEntity) -> tuple[tuple[str, str], ...]:
    """The keys an entity is found by later (with the spelling each was made from)."""
    keys: dict[str, str] = {}
    for spelling in (entity.name, *entity.aliases):
        key = name_key(spelling)
        if key and (" " in key or spelling == entity.name or entity.type is not EntityType.PERSON):
            keys.setdefault(key, spelling)
    words = entity.name.split()
    # a name the entities stage could not type may be a person's: its surname counts, if only
    # to tell that "Biden" alone is ambiguous when the archive has Joe and Hunter Biden
    could_be_person = entity.type is EntityType.PERSON or (entity.type is EntityType.OTHER and len(words) <= 3)
    if could_be_person and len(words) >= 2:
        keys.setdefault(_SURNAME + name_key(words[-1]), words[-1])
    return tuple(keys.items())


def _agree(a: EntityType, b: EntityType) -> bool:
    return a is b or EntityType.OTHER in (a, b)


class EntityStageStore(EntityStore, CheckpointStore, Protocol):
    """What the entities stage reads and writes: the archive's entities, and (shared) its lease."""


class EntityStage:
    """The entities stage of ingest (``pipeline.STORED_STAGES``)."""

    name = "entities"

    def __init__(self, store: EntityStageStore, *, shared: bool = False) -> None:
        self._store = store
        self._index: dict[str, list[tuple[int, EntityType]]] | None = None
        self._lock = threading.Lock()
        self._shared = shared
        self._holder = holder_name()
        self._turn = -1  # shared: the count of turns the index has seen (the lease's progress)

    @classmethod
    def from_settings(cls, store: EntityStageStore, settings: Settings) -> EntityStage:
        return cls(store, shared=settings.queue)

    def _loaded(self) -> dict[str, list[tuple[int, EntityType]]]:
        if self._index is None:
            index: dict[str, list[tuple[int, EntityType]]] = {}
            for key, entity_id, kind in self._store.entity_keys():
                index.setdefault(key, []).append((entity_id, kind))
            self._index = index
        return self._index

    def process(self, new: Sequence[NewArticle]) -> None:
        """Join and store the entities and quotes of newly stored articles."""
        self._save(new)

    def revise(self, changed: Sequence[NewArticle]) -> None:
        """Replace the entities and quotes of articles whose text changed (an edit, ``storyline reprocess``)."""
        self._save(changed)

    def _save(self, articles: Sequence[NewArticle]) -> None:
        analysed = [a for a in articles if a.article.entities or a.article.quotes]
        if not analysed:
            return
        if not self._shared:
            with self._lock:
                self._join_and_save(analysed)
            return
        with self._lock, holding(self._store, _LEASE, self._holder, _LEASE_SECONDS):
            lease = self._store.lease(_LEASE)
            turn = lease.progress if lease is not None else 0
            if turn != self._turn:  # another process stored entities since: read the keys again
                self._index = None
            try:
                self._join_and_save(analysed)
            except Exception:
                self._index = None
                raise
            self._store.renew_lease(_LEASE, self._holder, _LEASE_SECONDS, turn + 1)
            self._turn = turn + 1

    def _join_and_save(self, analysed: Sequence[NewArticle]) -> None:
        index = self._loaded()
        # Entities new in this batch go into the index under batch-local ids (-1, -2, ...),
        # so that a later article of the batch joins them; the store maps them to real ids.
        pending: dict[int, list[str]] = {}
        batch = []
        for item in analysed:
            links = []
            for entity in item.article.entities:
                entity_id = self._find(index, entity)
                keys = entity_keys(entity)
                if entity_id is None:
                    placeholder = -(len(pending) + 1)
                    pending[placeholder] = [key for key, _ in keys]
                    self._remember(index, keys, placeholder, entity.type)
                    links.append(EntityLink(None, entity, keys))
                else:
                    if entity_id < 0:  # an entity new in this batch: its new keys leave the index with it
                        pending[entity_id].extend(key for key, _ in keys)
                    self._remember(index, keys, entity_id, entity.type)
                    links.append(EntityLink(entity_id, entity, keys))
            batch.append((item.article_id, links, item.article.quotes))
        try:
            ids = self._store.save_article_entities(batch)
        finally:  # the placeholders leave the index, stored or not
            for placeholder, keys in pending.items():
                for key in keys:
                    index[key] = [(i, kind) for i, kind in index.get(key, ()) if i != placeholder]
        for (_, links, _), entity_ids in zip(batch, ids, strict=True):
            for link, entity_id in zip(links, entity_ids, strict=True):
                self._remember(index, link.keys, entity_id, link.entity.type)

    @staticmethod
    def _remember(index: dict[str, list[tuple[int, EntityType]]], keys: Sequence[tuple[str, str]], entity_id: int,
                  kind: EntityType) -> None:
        for key, _ in keys:
            known = index.setdefault(key, [])
            if all(existing != entity_id for existing, _ in known):
                known.append((entity_id, kind))

    @staticmethod
    def _find(index: dict[str, list[tuple[int, EntityType]]], entity: ArticleEntity) -> int | None:
        """The archive entity ``entity`` joins (rules 1-3 of the module's docstring), or None."""
        for spelling in (entity.name, *entity.aliases):  # rule 1
            for entity_id, kind in index.get(name_key(spelling), ()):
                if _agree(kind, entity.type):
                    return entity_id
        words = entity.name.split()
        if len(words) == 1 and entity.type in (EntityType.PERSON, EntityType.OTHER):  # rule 2
            people = {entity_id for entity_id, kind in index.get(_SURNAME + name_key(words[0]), ())
                      if _agree(kind, entity.type)}
            if len(people) == 1:
                return people.pop()
        if len(words) >= 2 and entity.type is EntityType.PERSON:  # rule 3
            alone = [entity_id for entity_id, kind in index.get(name_key(words[-1]), ()) if _agree(kind, entity.type)]
            if len(alone) == 1:
                return alone[0]
        return None

    def drain(self) -> None:
        """Nothing runs in the background: each batch is stored before ``process`` returns."""

    def close(self) -> None:
        """Nothing to save: the keys are read from the store on the next start."""
