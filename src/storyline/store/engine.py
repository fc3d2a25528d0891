"""Engines for the store: SQLite (WAL, one writer, pooled readers) or PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import QueuePool, StaticPool

from storyline.errors import StoreError, StoreUnavailableError

SQLITE_BUSY_TIMEOUT_MS = 10_000


_PASSWORD = re.compile(r"(://[^:/@?#]*:)[^@/?#]*@")


def display_url(url: str | URL) -> str:
    """A database URL safe to print, as the user wrote it, with the password masked."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _PASSWORD.sub(r"\1***@", url)


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreUnavailableError(url, "not a database URL", hint=(
            "Use sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DBNAME."
        )) from exc
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we ship; SQLAlchemy would otherwise look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StoreUnavailableError(display_url(url), "unsupported database", hint=(
            "Storyline stores into SQLite (sqlite:///PATH) or PostgreSQL (postgresql://...)."
        ))
    return parsed


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver level: we emit BEGIN ourselves (see _sqlite_on_begin),
    # because pysqlite's implicit transactions defer locking and break snapshot reads.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


@dataclass
class Engines:
    """The engines a store uses: writes go through ``writer`` one at a time."""

    writer: Engine
    reader: Engine
    _write_lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False
    # Grows with every write transaction this process commits: readers that cache what they
    # computed from the store (the home page) know their copy is stale when it has moved.
    generation: int = 0

    def _check_open(self) -> None:
        if self.closed:
            raise StoreError("store", "used after it was closed", hint="This is a bug in the caller.")

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it holds the one write lock for its duration."""
        self._check_open()
        with self._write_lock:
            with self.writer.begin() as conn:
                yield conn
            self.generation += 1  # under the lock, after the commit

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent snapshot."""
        self._check_open()
        with self.reader.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.closed = True
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def _sqlite_engines(url: URL, readers: int) -> Engines:
    database = url.database or ""
    memory = database in {"", ":memory:"} or database.startswith("file::memory:")
    if memory:
        # One in-memory database exists per connection: share that one connection.
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return Engines(writer=engine, reader=engine)

    path = Path(database).resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()  # create the file once, here and only here
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise StoreUnavailableError(
            str(path), f"cannot create the database file or its folder ({reason})",
            hint="Choose a writable folder with --home or STORYLINE_HOME.",
        ) from exc
    # Pooled connections open the file read-write but never create it: a database file
    # deleted under a running Storyline must fail loudly, not come back empty.
    uri = f"file:{quote(str(path))}?mode=rw"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(
            uri, uri=True, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )

    writer = sa.create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=1,
                              max_overflow=0)
    reader = sa.create_engine("sqlite://", creator=connect, poolclass=QueuePool,
                              pool_size=readers, max_overflow=0)
    for engine, begin in ((writer, "BEGIN IMMEDIATE"), (reader, "BEGIN")):
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", lambda conn, sql=begin: conn.exec_driver_sql(sql))
    return Engines(writer=writer, reader=reader)


def create_engines(url: str, *, sqlite_readers: int = 4) -> Engines:
    """Engines for ``url``, checked by connecting once; raises StoreUnavailableError."""
    parsed = _parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engines = _sqlite_engines(parsed, sqlite_readers)
    else:
        engine = sa.create_engine(
            parsed, pool_pre_ping=True, pool_size=5, max_overflow=5,
            connect_args={"connect_timeout": 10},
        )
        engines = Engines(writer=engine, reader=engine)
    try:
        with engines.write() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        engines.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreUnavailableError(display_url(url), f"cannot open the database ({reason})") from exc
    return engines
