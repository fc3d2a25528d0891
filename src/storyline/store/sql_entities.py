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
        ids: list[list[int]] = []
        created: list[int] = []  # ids of the entities this call created, in order (-1 is the first)
        with self._errors("storing entities and quotes"), self._engines.write() as conn:
            for article_id, links, found in analyses:
                conn.execute(article_entities.delete().where(article_entities.c.article_id == article_id))
                conn.execute(quotes.delete().where(quotes.c.article_id == article_id))
                article_ids = [_stored_entity(conn, self._insert, link, now, created) for link in links]
                ids.append(article_ids)
                rows = {}
                for entity_id, link in zip(article_ids, links, strict=True):
                    row = rows.setdefault(entity_id, {"article_id": article_id, "entity_id": entity_id,
                                                      "mentions": 0, "name": link.entity.name})
                    row["mentions"] += link.entity.mentions
                if rows:
                    conn.execute(article_entities.insert(), list(rows.values()))
                by_name = {link.entity.name: entity_id for entity_id, link in zip(article_ids, links, strict=True)}
                if found:
                    conn.execute(quotes.insert(), [
                        {"article_id": article_id, "position": position, "text": q.text, "speaker": q.speaker,
                         "speaker_as_written": q.speaker_as_written, "entity_id": by_name.get(q.speaker or ""),
                         "start": q.start, "end": q.end}
                        for position, q in enumerate(found)
                    ])
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


def _stored_entity(conn: Connection, insert: Callable[..., Any], link: EntityLink, now: datetime,
                   created: list[int]) -> int:
    """The id of the link's entity: created when new, renamed when the article names it more fully."""
    entity = link.entity
    if link.entity_id is None:
        entity_id = int(conn.execute(entities.insert().values(
            name=entity.name, type=entity.type.value, tied_to=entity.tied_to, created_at=now,
        ).returning(entities.c.id)).scalar_one())
        created.append(entity_id)
    else:
        entity_id = created[-link.entity_id - 1] if link.entity_id < 0 else link.entity_id
        current = conn.execute(sa.select(entities.c.name, entities.c.type).where(entities.c.id == entity_id)).one()
        values: dict[str, Any] = {}
        if len(entity.name.split()) > len(current.name.split()):
            values["name"] = entity.name  # "Putin" learns he is "Vladimir Putin"
        if current.type == EntityType.OTHER.value and entity.type is not EntityType.OTHER:
            values["type"] = entity.type.value
        if values:
            conn.execute(entities.update().where(entities.c.id == entity_id).values(**values))
    spellings = dict(link.keys)
    if spellings:
        conn.execute(insert(entity_aliases).on_conflict_do_nothing(index_elements=["entity_id", "key"]),
                     [{"entity_id": entity_id, "key": key[:200], "alias": alias} for key, alias in spellings.items()])
    return entity_id


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
