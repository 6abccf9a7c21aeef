"""Engines for the two supported databases, and the URL rules that choose between them.

SQLite (the embedded default) gets WAL, foreign keys and a busy timeout, and
SQLAlchemy rather than the ``sqlite3`` module emits ``BEGIN``: the driver's legacy
mode would run a read-then-write outside any transaction. A session may ask for
``BEGIN IMMEDIATE`` (the write lock up front) through :data:`WRITE_LOCK_OPTION`.
PostgreSQL always goes through psycopg 3. Neither engine renders bound parameters
into its error messages: those are row contents, and error text reaches logs.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from zkredit.store.errors import InvalidPartyName, UnsupportedDatabaseURL

SQLITE_BUSY_TIMEOUT_MS = 15_000
POSTGRES_CONNECT_TIMEOUT_S = 5
WRITE_LOCK_OPTION = "zkredit_write_lock"
"""Connection execution option: when true, SQLite begins with ``BEGIN IMMEDIATE``."""

_PARTY = re.compile(r"[a-z][a-z0-9_]{0,47}")
_POSTGRES_ALIASES = {"postgres", "postgresql", "postgresql+psycopg"}


def check_party(name: str) -> str:
    """Return ``name`` if it is usable as a directory, file and schema name."""
    if not _PARTY.fullmatch(name):
        raise InvalidPartyName(
            f"invalid party name {name!r}: use 1-48 lowercase letters, digits or '_', "
            "starting with a letter",
            hint="The parties are worker, credit, remittance, receiver and gateway.",
        )
    return name


def postgres_url(url: str) -> URL:
    """Parse a PostgreSQL URL and pin the psycopg 3 driver (``postgresql://`` is accepted)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabaseURL(
            "DATABASE_URL is not a database URL",
            hint="Use postgresql://USER:PASSWORD@HOST:5432/DB, or unset it to use SQLite.",
        ) from exc
    if parsed.drivername not in _POSTGRES_ALIASES:
        raise UnsupportedDatabaseURL(
            f"unsupported DATABASE_URL scheme {parsed.drivername!r}: only PostgreSQL "
            "(postgresql://) is supported",
            hint="Unset DATABASE_URL to keep each party's state in a SQLite file under "
            "ZKREDIT_DATA_DIR.",
        )
    return parsed.set(drivername="postgresql+psycopg")


def sqlite_path(data_dir: Path, party: str) -> Path:
    """Where a party's SQLite file lives: ``<data_dir>/<party>/<party>.db``."""
    return data_dir / party / f"{party}.db"


def sqlite_engine(path: Path) -> Engine:
    """An engine on the SQLite file ``path`` (WAL, foreign keys, busy timeout)."""
    engine = create_engine(
        URL.create("sqlite+pysqlite", database=str(path)),
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    assert isinstance(dbapi_connection, sqlite3.Connection)
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_LOCK_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def postgres_engine(url: URL, schema: str) -> Engine:
    """An engine on PostgreSQL whose unqualified tables resolve to ``schema``."""
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args,
                           hide_parameters=True)
    return engine.execution_options(schema_translate_map={None: schema})
