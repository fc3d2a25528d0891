"""Shared fixtures: settings in a temp home, stores on real SQLite and real PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from storyline.app import Storyline, make_app
from storyline.config import Settings, load_settings
from storyline.store import SQLStore, open_store
from tests.pgserver import PgServer, start_server

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO / "data" / "corpora"  # labelled and real-world data, each folder with its SOURCE.md
_database_numbers = itertools.count(1)
# Test processes at most (pytest-xdist's -n auto): each starts its own PostgreSQL and loads the
# sample once, so more than a few cost more memory and set-up than they save.
MAX_TEST_PROCESSES = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """-n auto: one test process per core, at most MAX_TEST_PROCESSES."""
    return max(1, min(len(os.sched_getaffinity(0)), MAX_TEST_PROCESSES))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session; a missing server fails, never skips."""
    try:
        server = start_server()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"storyline_test_{next(_database_numbers)}"
    admin = pg_server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    yield pg_server.url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str) -> Iterator[SQLStore]:
    """An opened, migrated, empty store on each backend."""
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a temp home and nothing from the real environment or config files."""
    return load_settings({"home": str(tmp_path / "home")}, environ={})


@pytest.fixture
def app(settings: Settings) -> Iterator[Storyline]:
    """A Storyline on an empty SQLite store in a temp home."""
    made = make_app(settings)
    yield made
    made.close()


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Storyline]:
    """A Storyline with the bundled sample loaded (shared: tests must not write to it)."""
    home = tmp_path_factory.mktemp("sample-home")
    made = make_app(load_settings({"home": str(home)}, environ={}))
    report = made.load_sample()
    assert report.inserted > 600
    assert not report.failures
    yield made
    made.close()


# Appended with the http_server fixture (the imports above belong to other owners).
from tests import httpserver  # noqa: E402


@pytest.fixture(scope="session")
def http_server() -> Iterator[httpserver.LocalHTTPServer]:
    """A real HTTP server on 127.0.0.1 serving tests/data plus the routes of tests/httpserver.py."""
    server = httpserver.start_http_server(root=REPO / "tests" / "data")
    yield server
    server.stop()
