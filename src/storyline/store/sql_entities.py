"""Entities and quotes in the SQL store: the archive's entities, their spellings, which articles name them, quotes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storyline.store.engine import Engines
from storyline.store.rows import stored_article
from storyline.store.schema import article_entities, articles, entities, entity_aliases, quotes, story_articles
from storyline.types import EntityLink, EntityType, Quote, StoredArticle, StoredEntity, StoredQuote


class _StoreInternals(Protocol):
    _engines: Engines
    _insert: Callable[..., Any]

    def _errors(self, action: str) -> AbstractContextManager[None]: ...
    def _read(self, action: str, query: Callable[[Connection], Any]) -> Any: ...


def _type(value: str) -> EntityType:
    try:
        return EntityType(value)
    except ValueError:  # a type a later version wrote: shown as "other", not a crash
        return EntityType.OTHER


class EntityQueries:
    """The entities half of SQLStore (mixed in); see the Store protocol for the guarantees."""

    def entity_keys(self: _StoreInternals) -> list[tuple[str, int, EntityType]]:
        query = (sa.select(entity_aliases.c.key, entities.c.id, entities.c.type)
                 .join(entities, entities.c.id == entity_aliases.c.entity_id)
                 .order_by(entities.c.id))
        rows = self._read("reading entity keys", lambda c: c.execute(query).all())
        return [(key, int(entity_id), _type(kind)) for key, entity_id, kind in rows]

    def save_article_entities(
        self: _StoreInternals, analyses: Sequence[tuple[int, Sequence[EntityLink], Sequence[Quote]]]
    ) -> list[list[int]]:
        if not analyses:
            return []
        now = datetime.now(UTC)
        # One statement per table for the whole batch: this runs in the process that owns the
        # store, where a statement per entity cost more than finding the entities did.
        with self._errors("storing entities and quotes"), self._engines.write() as conn:
            article_ids = [article_id for article_id, _, _ in analyses]
            conn.execute(article_entities.delete().where(article_entities.c.article_id.in_(article_ids)))
            conn.execute(quotes.delete().where(quotes.c.article_id.in_(article_ids)))
            created = _created_entities(conn, [link for _, links, _ in analyses for link in links], now)
            ids = [[created[-link.entity_id - 1] if link.entity_id is not None and link.entity_id < 0
                    else link.entity_id if link.entity_id is not None else created.pop_next()
                    for link in links] for _, links, _ in analyses]
            _improve_existing(conn, [(entity_id, link) for (_, links, _), row in zip(analyses, ids, strict=True)
                                     for entity_id, link in zip(row, links, strict=True)
                                     if link.entity_id is not None and link.entity_id > 0])
            _save_rows(conn, self._insert, analyses, ids)
        return ids

    def article_entities(self: _StoreInternals, article_id: int) -> list[StoredEntity]:
        query = (sa.select(entities, article_entities.c.mentions)
                 .join(article_entities, article_entities.c.entity_id == entities.c.id)
                 .where(article_entities.c.article_id == article_id)
                 .order_by(article_entities.c.mentions.desc(), entities.c.id))
        rows = self._read("reading an article's entities", lambda c: c.execute(query).all())
        aliases = _aliases(self, [int(r.id) for r in rows])
        return [StoredEntity(int(r.id), r.name, _type(r.type), r.tied_to, aliases.get(int(r.id), ()),
                             int(r.mentions)) for r in rows]

    def article_quotes(self: _StoreInternals, article_id: int) -> list[StoredQuote]:
        query = sa.select(quotes).where(quotes.c.article_id == article_id).order_by(quotes.c.position)
        rows = self._read("reading an article's quotes", lambda c: c.execute(query).all())
        return [StoredQuote(int(r.article_id), int(r.position), r.text, r.speaker, r.speaker_as_written,
                            None if r.entity_id is None else int(r.entity_id)) for r in rows]

    def get_entity(self: _StoreInternals, entity_id: int) -> StoredEntity | None:
        query = (sa.select(entities, sa.func.coalesce(sa.func.sum(article_entities.c.mentions), 0).label("mentions"))
                 .outerjoin(article_entities, article_entities.c.entity_id == entities.c.id)
                 .where(entities.c.id == entity_id).group_by(entities.c.id))
        row = self._read("reading an entity", lambda c: c.execute(query).one_or_none())
        if row is None:
            return None
        aliases = _aliases(self, [entity_id])
        return StoredEntity(int(row.id), row.name, _type(row.type), row.tied_to, aliases.get(entity_id, ()),
                            int(row.mentions))

    def story_entities(self: _StoreInternals, story_id: int, *, limit: int = 50) -> list[StoredEntity]:
        mentions = sa.func.sum(article_entities.c.mentions).label("mentions")
        query = (sa.select(entities.c.id, entities.c.name, entities.c.type, entities.c.tied_to, mentions)
                 .join(article_entities, article_entities.c.entity_id == entities.c.id)
                 .join(story_articles, story_articles.c.article_id == article_entities.c.article_id)
                 .where(story_articles.c.story_id == story_id)
                 .group_by(entities.c.id, entities.c.name, entities.c.type, entities.c.tied_to)
                 .order_by(mentions.desc(), entities.c.id).limit(max(0, limit)))
        rows = self._read("reading a story's entities", lambda c: c.execute(query).all())
        aliases = _aliases(self, [int(r.id) for r in rows])
        return [StoredEntity(int(r.id), r.name, _type(r.type), r.tied_to, aliases.get(int(r.id), ()),
                             int(r.mentions)) for r in rows]

    def story_quotes(self: _StoreInternals, story_id: int) -> list[StoredQuote]:
        query = (sa.select(quotes)
                 .join(story_articles, story_articles.c.article_id == quotes.c.article_id)
                 .join(articles, articles.c.id == quotes.c.article_id)
                 .where(story_articles.c.story_id == story_id)
                 .order_by(articles.c.sort_time, articles.c.id, quotes.c.position))
        rows = self._read("reading a story's quotes", lambda c: c.execute(query).all())
        return [StoredQuote(int(r.article_id), int(r.position), r.text, r.speaker, r.speaker_as_written,
                            None if r.entity_id is None else int(r.entity_id)) for r in rows]

    def entity_articles(self: _StoreInternals, entity_id: int, *, limit: int = 100) -> list[StoredArticle]:
        query = (sa.select(articles)
                 .join(article_entities, article_entities.c.article_id == articles.c.id)
                 .where(article_entities.c.entity_id == entity_id)
                 .order_by(articles.c.sort_time.desc(), articles.c.id.desc()).limit(max(0, limit)))
        rows = self._read("reading an entity's articles", lambda c: c.execute(query).all())
        return [stored_article(r) for r in rows]


class _Created(list[int]):
    """The ids of the entities a call created, in order; handed out in turn to the links without one."""

    def __init__(self, ids: Sequence[int]) -> None:
        super().__init__(ids)
        self._next = 0

    def pop_next(self) -> int:
        self._next += 1
        return self[self._next - 1]


def _created_entities(conn: Connection, links: Sequence[EntityLink], now: datetime) -> _Created:
    """Insert the entities of the links that have no id, in one statement; their ids in order."""
    new = [link.entity for link in links if link.entity_id is None]
    if not new:
        return _Created([])
    rows = conn.execute(
        entities.insert().returning(entities.c.id, sort_by_parameter_order=True),
        [{"name": e.name, "type": e.type.value, "tied_to": e.tied_to, "created_at": now} for e in new],
    ).all()
    return _Created([int(row.id) for row in rows])


def _improve_existing(conn: Connection, links: Sequence[tuple[int, EntityLink]]) -> None:
    """Existing entities take a fuller name ("Putin" learns he is "Vladimir Putin") or a type they lacked."""
    if not links:
        return
    current = {int(r.id): r for r in conn.execute(
        sa.select(entities.c.id, entities.c.name, entities.c.type).where(
            entities.c.id.in_(sorted({entity_id for entity_id, _ in links})))).all()}
    changes: dict[int, dict[str, Any]] = {}
    for entity_id, link in links:
        row = current.get(entity_id)
        if row is None:
            continue
        values = changes.setdefault(entity_id, {})
        name = values.get("name", row.name)
        if len(link.entity.name.split()) > len(name.split()):
            values["name"] = link.entity.name
        if row.type == EntityType.OTHER.value and link.entity.type is not EntityType.OTHER:
            values.setdefault("type", link.entity.type.value)
    for entity_id, values in changes.items():
        if values:
            conn.execute(entities.update().where(entities.c.id == entity_id).values(**values))


def _save_rows(conn: Connection, insert: Callable[..., Any],
               analyses: Sequence[tuple[int, Sequence[EntityLink], Sequence[Quote]]], ids: list[list[int]]) -> None:
    """The spellings, the article links and the quotes of a batch, one statement each."""
    spellings: dict[tuple[int, str], str] = {}
    links_rows: dict[tuple[int, int], dict[str, Any]] = {}
    quote_rows: list[dict[str, Any]] = []
    for (article_id, links, found), row_ids in zip(analyses, ids, strict=True):
        by_name: dict[str, int] = {}
        for entity_id, link in zip(row_ids, links, strict=True):
            for key, spelling in link.keys:
                spellings.setdefault((entity_id, key[:200]), spelling)
            row = links_rows.setdefault((article_id, entity_id), {"article_id": article_id, "entity_id": entity_id,
                                                                  "mentions": 0, "name": link.entity.name})
            row["mentions"] += link.entity.mentions
            by_name.setdefault(link.entity.name, entity_id)
        quote_rows.extend({"article_id": article_id, "position": position, "text": q.text, "speaker": q.speaker,
                           "speaker_as_written": q.speaker_as_written, "entity_id": by_name.get(q.speaker or ""),
                           "start": q.start, "end": q.end} for position, q in enumerate(found))
    if spellings:
        conn.execute(insert(entity_aliases).on_conflict_do_nothing(index_elements=["entity_id", "key"]),
                     [{"entity_id": e, "key": k, "alias": a} for (e, k), a in spellings.items()])
    if links_rows:
        conn.execute(article_entities.insert(), list(links_rows.values()))
    if quote_rows:
        conn.execute(quotes.insert(), quote_rows)


def _aliases(store: _StoreInternals, entity_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    if not entity_ids:
        return {}
    query = (sa.select(entity_aliases.c.entity_id, entity_aliases.c.alias, entities.c.name)
             .join(entities, entities.c.id == entity_aliases.c.entity_id)
             .where(entity_aliases.c.entity_id.in_(list(entity_ids))))
    found: dict[int, list[str]] = {}
    for entity_id, alias, name in store._read("reading entity spellings", lambda c: c.execute(query).all()):
        if alias != name and alias not in found.setdefault(int(entity_id), []):
            found[int(entity_id)].append(alias)
    return {k: tuple(sorted(v)) for k, v in found.items()}
