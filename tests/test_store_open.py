"""Opening stores: unreachable databases, schema versions, migrations from every version."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storyline.errors import SchemaError, StoreError, StoreUnavailableError
from storyline.store import migrate, open_store
from storyline.store.engine import create_engines
from storyline.store.schema import include_name, metadata
from tests.test_store_contract import make_article


def _schema_diff(url: str) -> list[object]:
    engines = create_engines(url)
    try:
        with engines.write() as conn:
            return compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), metadata)
    finally:
        engines.dispose()


def test_migrating_an_empty_database_gives_the_declared_schema(store_url: str) -> None:
    open_store(store_url).close()
    assert _schema_diff(store_url) == []


@pytest.mark.parametrize("start", migrate.revisions())
def test_migrating_from_each_earlier_version_keeps_data(store_url: str, start: str) -> None:
    engines = create_engines(store_url)
    with engines.write() as conn:
        migrate.upgrade(conn, start)
    engines.dispose()
    if start == migrate.head_revision():
        store = open_store(store_url)
        store.upsert_articles([make_article(1)])
        store.close()
    store = open_store(store_url)
    assert store.count_articles() == (1 if start == migrate.head_revision() else 0)
    store.close()
    assert _schema_diff(store_url) == []


def test_downgrade_to_empty_and_back(store_url: str) -> None:
    open_store(store_url).close()
    engines = create_engines(store_url)
    from alembic import command

    with engines.write() as conn:
        command.downgrade(migrate._config(conn), "base")
    with engines.read() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    engines.dispose()
    open_store(store_url).close()
    assert _schema_diff(store_url) == []


def test_database_newer_than_the_code_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    engines = create_engines(store_url)
    with engines.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engines.dispose()
    with pytest.raises(SchemaError, match="9999"):
        open_store(store_url)


def test_unmigrated_database_is_refused_without_migrate(store_url: str) -> None:
    with pytest.raises(SchemaError, match="none"):
        open_store(store_url, migrate_schema=False)


def test_unreachable_postgresql_names_the_database_and_masks_the_password(tmp_path: Path) -> None:
    url = f"postgresql://reader:secret@/news?host={tmp_path / 'no-server-here'}"
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "secret" not in message
    assert "news" in message
    assert "cannot open the database" in message
    assert "STORYLINE_DATABASE_URL" in message


def test_sqlite_in_an_unwritable_place(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailableError, match="cannot create the database file"):
        open_store(f"sqlite:///{blocker / 'sub' / 'x.db'}")


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailableError):
        open_store(f"sqlite:///{path}")


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url at all"])
def test_unsupported_urls(url: str) -> None:
    with pytest.raises(StoreUnavailableError):
        open_store(url)


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    engines = create_engines(f"sqlite:///{tmp_path / 'w.db'}")
    with engines.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engines.dispose()
    store.close()


def test_deleted_sqlite_file_fails_loudly_instead_of_starting_empty(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    store = open_store(f"sqlite:///{path}", sqlite_readers=1)
    store.upsert_articles([make_article(1)])
    store._engines.dispose()  # drop pooled connections, as a restart of the pool would
    store._engines.closed = False
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with pytest.raises(StoreUnavailableError, match="unable to open database file"):
        store.count_articles()
    assert not path.exists()


def test_corrupt_sqlite_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = open_store(f"sqlite:///{path}", sqlite_readers=1)
    store._engines.dispose()
    store._engines.closed = False
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(StoreUnavailableError, match="not a database"):
        store.count_articles()


def test_closed_store_refuses_work(store_url: str) -> None:
    store = open_store(store_url)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()
    with pytest.raises(StoreError, match="closed"):
        store.upsert_articles([make_article(1)])


def test_story_ids_go_on_after_the_stories_numbered_before_the_counter(store_url: str) -> None:
    # A store from before story ids came from the database: its processes numbered stories up to 41.
    engines = create_engines(store_url)
    with engines.write() as conn:
        migrate.upgrade(conn, "0006")
        conn.execute(sa.text("INSERT INTO stories (id, created_at, updated_at) VALUES "
                             "(41, '2024-01-01 00:00:00', '2024-01-01 00:00:00')"))
    engines.dispose()
    store = open_store(store_url)
    try:
        assert store.allocate_ids("stories", 1) == 42
    finally:
        store.close()
