"""PostgreSQL for the shared store suite: one schema prefix per session, dropped at the end.

The server is ``TEST_DATABASE_URL``, else ``DATABASE_URL``, else
``postgresql://postgres@127.0.0.1:5432/test``. When it is unreachable the tests skip
with the reason, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import require
from zkredit.store.db import Database
from zkredit.store.engines import postgres_url
from zkredit.store.errors import DatabaseUnavailable

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


class PostgresBackend:
    """Each database is a fresh schema ``<session prefix>_<n>_<party>``."""

    name = "postgresql"

    def __init__(self, url: str, prefix: str, counter: Iterator[int]) -> None:
        self.url = url
        self.prefix = prefix
        self._n = counter
        self._opened: list[Database] = []

    def open(self, party: str = "gateway", *, migrate: bool = True) -> Database:
        schema = f"{self.prefix}_{next(self._n)}_{party}"
        db = Database.open(party, self.url, Path("."), schema=schema)
        self._opened.append(db)
        if migrate:
            db.migrate()
        return db

    def reopen(self, db: Database) -> Database:
        twin = Database.open(db.party, self.url, Path("."), schema=db.schema)
        self._opened.append(twin)
        return twin

    def cli_args(self, db: Database) -> list[str]:
        assert db.schema is not None
        return ["--database-url", self.url, "--schema", db.schema]

    def close(self) -> None:
        for db in self._opened:
            db.dispose()


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL
    probe = Database.open("probe", url, Path("."))
    try:
        probe.ping()
        reachable, why = True, ""
    except DatabaseUnavailable as exc:
        reachable, why = False, exc.message
    finally:
        probe.dispose()
    require(reachable, f"PostgreSQL is not reachable ({why})")
    return url


@pytest.fixture(scope="session")
def pg_prefix(pg_url: str) -> Iterator[str]:
    """A schema prefix unique to this session; every schema under it is dropped at the end."""
    prefix = f"zkt_{uuid.uuid4().hex[:8]}"
    yield prefix
    engine = create_engine(postgres_url(pg_url))
    with engine.begin() as conn:
        names = conn.scalars(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"), {"p": prefix + "%"}
        ).all()
        for name in names:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_counter() -> Iterator[int]:
    return itertools.count()


@pytest.fixture
def backend(pg_url: str, pg_prefix: str, pg_counter: Iterator[int]) -> Iterator[PostgresBackend]:
    b = PostgresBackend(pg_url, pg_prefix, pg_counter)
    yield b
    b.close()
