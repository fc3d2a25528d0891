"""Stories in the SQL store: which story each article belongs to, merges, related stories,
the embedding cache and the clusterer's checkpoint."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storyline.errors import LeaseLostError
from storyline.store.engine import Engines
from storyline.store.rows import stored_article
from storyline.store.schema import (
    articles,
    cluster_checkpoints,
    duplicates,
    embeddings,
    id_counters,
    leases,
    stories,
    story_articles,
    story_related,
)
from storyline.types import Lease, StoredArticle, StoryLink, StoryStats

# Stories followed through merges at most this far (a merge chain longer than this is a bug).
_MAX_REDIRECTS = 32


class _StoreInternals(Protocol):
    _engines: Engines
    _insert: Callable[..., Any]

    def _errors(self, action: str) -> AbstractContextManager[None]: ...
    def _read(self, action: str, query: Callable[[Connection], Any]) -> Any: ...


def _now() -> datetime:
    return datetime.now(UTC)


class StoryQueries:
    """The stories half of SQLStore (mixed in); see the Store protocol for the guarantees."""

    def save_story_links(
        self: _StoreInternals,
        links: Sequence[StoryLink],
        *,
        merges: Sequence[tuple[int, int]] = (),
        related: Mapping[int, Sequence[tuple[int, float]]] | None = None,
        writer: tuple[str, float, int] | None = None,
    ) -> None:
        if not links and not merges and not related and writer is None:
            return
        now = _now()
        story_ids = sorted({link.story_id for link in links} | {new for _, new in merges} | set(related or {}))
        with self._errors("recording stories"), self._engines.write() as conn:
            if writer is not None:
                _fence(conn, "stories", writer, now)
            if story_ids:
                conn.execute(
                    self._insert(stories).on_conflict_do_update(
                        index_elements=["id"], set_={"updated_at": sa.literal_column("excluded.updated_at")}
                    ),
                    [{"id": sid, "created_at": now, "updated_at": now} for sid in story_ids],
                )
            if links:
                conn.execute(
                    self._insert(story_articles).on_conflict_do_update(
                        index_elements=["article_id"],
                        set_={name: sa.literal_column(f"excluded.{name}")
                              for name in ("story_id", "score", "assigned_at")},
                    ),
                    [{"article_id": link.article_id, "story_id": link.story_id, "score": link.score,
                      "assigned_at": now} for link in links],
                )
            for old, new in merges:
                # The merged story's articles move; its row stays, pointing on (its URL redirects).
                conn.execute(story_articles.update().where(story_articles.c.story_id == old).values(story_id=new))
                conn.execute(stories.update().where(stories.c.id == old).values(merged_into=new, updated_at=now))
                conn.execute(stories.update().where(stories.c.merged_into == old).values(merged_into=new))
                conn.execute(story_related.delete().where(
                    (story_related.c.story_id == old) | (story_related.c.related_id == old)))
            for story_id, rows in (related or {}).items():
                conn.execute(story_related.delete().where(story_related.c.story_id == story_id))
                kept = {rid: score for rid, score in rows if rid != story_id}
                if kept:
                    conn.execute(story_related.insert(), [
                        {"story_id": story_id, "related_id": rid, "score": score} for rid, score in kept.items()
                    ])

    def stories_of(self: _StoreInternals, article_ids: Sequence[int]) -> dict[int, int]:
        if not article_ids:
            return {}
        query = sa.select(story_articles.c.article_id, story_articles.c.story_id).where(
            story_articles.c.article_id.in_(list(article_ids)))
        return {int(a): int(s) for a, s in self._read("reading stories", lambda c: c.execute(query).all())}

    def stories_after(self: _StoreInternals, after: int) -> tuple[int, int]:
        live = stories.c.merged_into.is_(None)
        # Both walk the primary key from the top: cheap however many stories the store has,
        # as long as few are newer than ``after`` (a page asks about the ones since it was shown).
        newest = sa.select(stories.c.id).where(live).order_by(stories.c.id.desc()).limit(1)
        newer = sa.select(sa.func.count()).select_from(stories).where(live, stories.c.id > after)

        def read(conn: Connection) -> tuple[int, int]:
            top = conn.execute(newest).scalar()
            if top is None or top <= after:
                return 0, int(top or 0)
            return int(conn.execute(newer).scalar() or 0), int(top)

        return self._read("reading stories", read)

    def resolve_story(self: _StoreInternals, story_id: int) -> int | None:
        def follow(conn: Connection) -> int | None:
            current = story_id
            for _ in range(_MAX_REDIRECTS):
                row = conn.execute(sa.select(stories.c.merged_into).where(stories.c.id == current)).one_or_none()
                if row is None:
                    return None
                if row.merged_into is None:
                    return current
                current = int(row.merged_into)
            return current

        return self._read("reading a story", follow)

    def story_articles(self: _StoreInternals, story_id: int) -> list[StoredArticle]:
        query = (
            sa.select(articles)
            .join(story_articles, story_articles.c.article_id == articles.c.id)
            .where(story_articles.c.story_id == story_id)
            .order_by(articles.c.sort_time, articles.c.id)
        )
        return [stored_article(r) for r in self._read("reading a story's articles", lambda c: c.execute(query).all())]

    def related_stories(self: _StoreInternals, story_id: int) -> list[tuple[int, float]]:
        query = (
            sa.select(story_related.c.related_id, story_related.c.score)
            .join(stories, stories.c.id == story_related.c.related_id)
            .where(story_related.c.story_id == story_id, stories.c.merged_into.is_(None))
            .order_by(story_related.c.score.desc(), story_related.c.related_id)
        )
        return [(int(r), float(s)) for r, s in self._read("reading related stories", lambda c: c.execute(query).all())]

    def related_among(self: _StoreInternals, story_ids: Sequence[int]) -> list[tuple[int, int]]:
        if not story_ids:
            return []
        ids = list(story_ids)
        query = sa.select(story_related.c.story_id, story_related.c.related_id).where(
            story_related.c.story_id.in_(ids) | story_related.c.related_id.in_(ids))
        return [(int(a), int(b)) for a, b in self._read("reading related stories", lambda c: c.execute(query).all())]

    def story_stats(
        self: _StoreInternals, *, since: datetime, recent_since: datetime, limit: int = 2_000,
        story_ids: Sequence[int] | None = None,
    ) -> list[StoryStats]:
        # A report is a group of copies (or an article without copies): copies count once.
        report = sa.func.coalesce(duplicates.c.group_id, articles.c.id)
        is_copy = duplicates.c.duplicate_of.is_not(None)
        query = (
            sa.select(
                story_articles.c.story_id,
                sa.func.count().label("articles"),
                sa.func.count(sa.distinct(report)).label("reports"),
                sa.func.count(sa.distinct(articles.c.outlet)).label("outlets"),
                sa.func.min(articles.c.sort_time).label("first_seen"),
                sa.func.max(articles.c.sort_time).label("last_seen"),
                sa.func.count(sa.distinct(sa.case((articles.c.sort_time >= recent_since, report)))).label("recent"),
                sa.func.min(sa.case((~is_copy | duplicates.c.article_id.is_(None), articles.c.id))).label("lead"),
            )
            .select_from(story_articles)
            .join(articles, articles.c.id == story_articles.c.article_id)
            .outerjoin(duplicates, duplicates.c.article_id == articles.c.id)
            .group_by(story_articles.c.story_id)
        )
        if story_ids is not None:
            query = query.where(story_articles.c.story_id.in_(list(story_ids)))
        else:
            query = query.having(sa.func.max(articles.c.sort_time) >= since)
        query = query.order_by(sa.desc("last_seen"), story_articles.c.story_id).limit(limit)
        rows = self._read("reading stories", lambda c: c.execute(query).all())
        return [
            StoryStats(int(r.story_id), int(r.articles), int(r.reports), int(r.outlets), _aware(r.first_seen),
                       _aware(r.last_seen), int(r.recent), int(r.lead) if r.lead is not None else None)
            for r in rows
        ]

    def unassigned_articles(self: _StoreInternals, *, after_id: int = 0, limit: int = 500) -> list[StoredArticle]:
        query = (
            sa.select(articles)
            .outerjoin(story_articles, story_articles.c.article_id == articles.c.id)
            .where(story_articles.c.article_id.is_(None), articles.c.id > after_id)
            .order_by(articles.c.id)
            .limit(limit)
        )
        return [stored_article(r) for r in self._read("reading unassigned articles", lambda c: c.execute(query).all())]

    def get_articles(self: _StoreInternals, article_ids: Sequence[int]) -> list[StoredArticle]:
        found: list[StoredArticle] = []
        unique = sorted(set(article_ids))
        for start in range(0, len(unique), 500):  # SQLite's bound-parameter limit
            query = sa.select(articles).where(articles.c.id.in_(unique[start : start + 500]))
            rows = self._read("reading articles", lambda c, q=query: c.execute(q).all())
            found.extend(stored_article(r) for r in rows)
        return sorted(found, key=lambda a: a.id)

    def copied_from(self: _StoreInternals, article_ids: Sequence[int]) -> dict[int, int]:
        if not article_ids:
            return {}
        query = sa.select(duplicates.c.article_id, duplicates.c.duplicate_of).where(
            duplicates.c.article_id.in_(list(article_ids)), duplicates.c.duplicate_of.is_not(None))
        return {int(a): int(d) for a, d in self._read("reading copies", lambda c: c.execute(query).all())}

    def articles_after(self: _StoreInternals, after_id: int, *, limit: int = 500) -> list[StoredArticle]:
        query = sa.select(articles).where(articles.c.id > after_id).order_by(articles.c.id).limit(limit)
        return [stored_article(r) for r in self._read("reading articles", lambda c: c.execute(query).all())]

    def get_embeddings(self: _StoreInternals, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        found: dict[str, bytes] = {}
        unique = sorted(set(keys))
        for start in range(0, len(unique), 500):  # SQLite's bound-parameter limit
            part = unique[start : start + 500]
            query = sa.select(embeddings.c.key, embeddings.c.vector).where(
                embeddings.c.model == model, embeddings.c.key.in_(part))
            rows = self._read("reading embeddings", lambda c, q=query: c.execute(q).all())
            found.update({k: bytes(v) for k, v in rows})
        return found

    def put_embeddings(self: _StoreInternals, model: str, vectors: Mapping[str, bytes]) -> None:
        if not vectors:
            return
        with self._errors("saving embeddings"), self._engines.write() as conn:
            conn.execute(
                self._insert(embeddings).on_conflict_do_nothing(index_elements=["model", "key"]),
                [{"model": model, "key": k, "vector": v} for k, v in vectors.items()],
            )

    def save_cluster_state(self: _StoreInternals, last_article_id: int, state: bytes, *,
                           writer: tuple[str, float, int] | None = None) -> None:
        with self._errors("saving the story clusterer's state"), self._engines.write() as conn:
            if writer is not None:
                _fence(conn, "stories", writer, _now())
            conn.execute(cluster_checkpoints.delete())
            conn.execute(cluster_checkpoints.insert().values(
                id=1, last_article_id=last_article_id, saved_at=_now(), state=state))

    def load_cluster_state(self: _StoreInternals) -> tuple[int, bytes] | None:
        query = sa.select(cluster_checkpoints.c.last_article_id, cluster_checkpoints.c.state)
        row = self._read("reading the story clusterer's state", lambda c: c.execute(query).one_or_none())
        return (int(row.last_article_id), bytes(row.state)) if row is not None else None

    # -- the one writer ----------------------------------------------------------------------

    def take_lease(self: _StoreInternals, name: str, holder: str, seconds: float, *,
                   replacing: str | None = None) -> bool:
        now = _now()
        until = now + timedelta(seconds=seconds)
        with self._errors(f"taking the {name} lease"), self._engines.write() as conn:
            # FOR UPDATE: two PostgreSQL sessions must not both see an expired lease and take it.
            row = conn.execute(sa.select(leases.c.holder, leases.c.expires_at)
                               .where(leases.c.name == name).with_for_update()).one_or_none()
            if row is None:
                inserted = conn.execute(self._insert(leases).on_conflict_do_nothing(index_elements=["name"]),
                                        [{"name": name, "holder": holder, "expires_at": until, "progress": 0}])
                return bool(inserted.rowcount)
            if row.holder not in (holder, replacing) and _aware(row.expires_at) > now:
                return False
            conn.execute(leases.update().where(leases.c.name == name).values(holder=holder, expires_at=until))
            return True

    def release_lease(self: _StoreInternals, name: str, holder: str) -> None:
        with self._errors(f"releasing the {name} lease"), self._engines.write() as conn:
            conn.execute(leases.update().where((leases.c.name == name) & (leases.c.holder == holder))
                         .values(expires_at=_now() - timedelta(seconds=1)))

    def lease(self: _StoreInternals, name: str) -> Lease | None:
        query = sa.select(leases.c.holder, leases.c.expires_at, leases.c.progress).where(leases.c.name == name)
        row = self._read(f"reading the {name} lease", lambda c: c.execute(query).one_or_none())
        if row is None:
            return None
        return Lease(name, row.holder, _aware(row.expires_at), int(row.progress))

    def renew_lease(self: _StoreInternals, name: str, holder: str, seconds: float, progress: int) -> None:
        with self._errors(f"renewing the {name} lease"), self._engines.write() as conn:
            _fence(conn, name, (holder, seconds, progress), _now())

    def take_turn(self: _StoreInternals, name: str, spacing: float) -> float:
        # A row of the leases table whose expiry is the next free start (no holder).
        now = _now()
        with self._errors(f"taking a turn of {name}"), self._engines.write() as conn:
            row = conn.execute(sa.select(leases.c.expires_at).where(leases.c.name == name)
                               .with_for_update()).one_or_none()
            start = max(now, _aware(row.expires_at)) if row is not None else now
            following = start + timedelta(seconds=spacing)
            if row is None:
                inserted = conn.execute(self._insert(leases).on_conflict_do_nothing(index_elements=["name"]),
                                        [{"name": name, "holder": "", "expires_at": following, "progress": 0}])
                if not inserted.rowcount:  # another process made the row first: wait one spacing
                    return spacing
            else:
                conn.execute(leases.update().where(leases.c.name == name).values(expires_at=following))
            return max((start - now).total_seconds(), 0.0)

    def allocate_ids(self: _StoreInternals, name: str, count: int) -> int:
        if count < 1:
            raise ValueError("allocate at least one id")
        with self._errors(f"numbering new {name}"), self._engines.write() as conn:
            # One statement, atomic on both databases: the block [returned - count, returned).
            updated = conn.execute(id_counters.update().where(id_counters.c.name == name)
                                   .values(next_value=id_counters.c.next_value + count)
                                   .returning(id_counters.c.next_value)).scalar_one_or_none()
            if updated is None:  # a counter not seeded by a migration: start at 1
                conn.execute(self._insert(id_counters).on_conflict_do_nothing(index_elements=["name"]),
                             [{"name": name, "next_value": 1}])
                updated = conn.execute(id_counters.update().where(id_counters.c.name == name)
                                       .values(next_value=id_counters.c.next_value + count)
                                       .returning(id_counters.c.next_value)).scalar_one()
            return int(updated) - count


def _fence(conn: Connection, name: str, writer: tuple[str, float, int], now: datetime) -> None:
    """Go on only while ``writer`` (holder, lease seconds, progress) holds the lease; renew it.

    In the same transaction as the write it guards: a holder whose lease ran out (it stalled,
    and another process took over) cannot overwrite the new holder's stories.
    """
    holder, seconds, progress = writer
    renewed = conn.execute(
        leases.update()
        .where((leases.c.name == name) & (leases.c.holder == holder) & (leases.c.expires_at > now))
        .values(expires_at=now + timedelta(seconds=seconds), progress=sa.func.greatest(leases.c.progress, progress)
                if conn.dialect.name == "postgresql" else sa.func.max(leases.c.progress, progress))
    ).rowcount
    if not renewed:
        raise LeaseLostError(name, f"{holder} no longer holds the {name} lease; another process writes them now")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
