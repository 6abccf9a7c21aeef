"""One party's database: engine, sessions, migrations, health and a full dump.

Each party (worker, credit, remittance, receiver, gateway) owns its state. With
SQLite that is the file ``<data_dir>/<party>/<party>.db``; with PostgreSQL it is
the schema named after the party (or ``schema``) in the database of
``DATABASE_URL``. Parties never share a table, so the worker's raw values cannot
reach another party's rows.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from zkredit.store import migrate as migrations
from zkredit.store.engines import (
    WRITE_LOCK_OPTION,
    check_party,
    postgres_engine,
    postgres_url,
    sqlite_engine,
    sqlite_path,
)
from zkredit.store.errors import DatabaseNotFound, DatabaseUnavailable, StoreError

_LOCKED = "zkredit_locked"
"""``Session.info`` key: whether the session was opened with a lock."""


def _lock_key(*parts: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock`` derived from a lock name."""
    digest = hashlib.blake2b(":".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Database:
    """A party's database. Build it with :meth:`open`; release it with :meth:`dispose`."""

    def __init__(self, party: str, engine: Engine, *, schema: str | None, where: str) -> None:
        self.party = party
        self.schema = schema
        """The PostgreSQL schema holding the party's tables; ``None`` on SQLite."""
        self.where = where
        """Where the state lives, safe to print (file path, or URL without password)."""
        self._engine = engine

    @classmethod
    def open(
        cls,
        party: str,
        url: str | None,
        data_dir: Path,
        *,
        schema: str | None = None,
        create: bool = True,
    ) -> Database:
        """Build (without connecting) the database of ``party``.

        ``url`` is ``DATABASE_URL``: ``None`` or empty selects the SQLite file under
        ``data_dir``; ``postgresql://`` URLs use psycopg 3 and the schema ``schema``
        (default: the party name). With ``create=False`` a missing SQLite file raises
        :class:`DatabaseNotFound` instead of being created.
        """
        check_party(party)
        if url:
            pg_schema = check_party(schema or party)
            pg_url = postgres_url(url)
            where = f"{pg_url.render_as_string(hide_password=True)} schema {pg_schema}"
            return cls(party, postgres_engine(pg_url, pg_schema), schema=pg_schema, where=where)
        path = sqlite_path(data_dir, party)
        if not path.is_file():
            if not create:
                raise DatabaseNotFound(
                    f"no database for party {party!r} at {path}",
                    hint="Check --data-dir / ZKREDIT_DATA_DIR, or --database-url / DATABASE_URL.",
                )
            path.parent.mkdir(parents=True, exist_ok=True)
        return cls(party, sqlite_engine(path), schema=None, where=str(path))

    def __repr__(self) -> str:
        return f"Database(party={self.party!r}, where={self.where!r})"

    @property
    def engine(self) -> Engine:
        """The party's engine (on PostgreSQL it already maps unqualified tables to the schema)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @contextmanager
    def session(self, *, lock: str | None = None) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back if it raises.

        With ``lock``, the transaction is serialised with every other one holding the
        same lock name: SQLite takes its write lock up front (``BEGIN IMMEDIATE``),
        PostgreSQL a transaction-scoped advisory lock on (schema, name).
        """
        with Session(self._engine, expire_on_commit=False) as s:
            try:
                if lock and self.dialect == "sqlite":
                    # options given here reach the connection before SQLAlchemy's BEGIN
                    s.connection(execution_options={WRITE_LOCK_OPTION: True})
                elif lock:
                    key = _lock_key(self.schema or self.party, lock)
                    s.execute(select(func.pg_advisory_xact_lock(key)))
                s.info[_LOCKED] = bool(lock)
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def hold(self, s: Session, lock: str) -> None:
        """Also take ``lock`` inside the open unit of work ``s`` (until it ends).

        ``s`` must have been opened with ``lock=``: SQLite has one write lock, taken
        when such a session begins, and a session that began without it could not take
        it later without risking a stale read. PostgreSQL adds one more
        transaction-scoped advisory lock; it is refused there too, so code that works
        on one backend works on the other.
        """
        if not s.info.get(_LOCKED):
            raise StoreError(
                f"lock {lock!r} needs a session opened with Database.session(lock=...)",
                hint="Open the unit of work with a lock name before writing locked rows.",
            )
        if self.dialect == "sqlite":
            return
        s.execute(select(func.pg_advisory_xact_lock(_lock_key(self.schema or self.party, lock))))

    def migrate(self, *, version_locations: Sequence[Path] = ()) -> tuple[str, ...]:
        """Bring the party's tables to the head revision; a no-op when already there.

        Runs in one transaction. On PostgreSQL it creates the schema if missing and
        holds an advisory lock, so agents starting together migrate one at a time.
        ``version_locations`` adds directories of extra revisions. Returns the heads.
        """
        with self._connect() as conn:
            conn.execution_options(**{WRITE_LOCK_OPTION: True})
            with conn.begin():
                if self.schema is not None:
                    conn.execute(select(func.pg_advisory_xact_lock(_lock_key("migrate"))))
                    conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
                    conn.execute(text(f'SET LOCAL search_path TO "{self.schema}"'))
                cfg = migrations.alembic_config(
                    connection=conn, schema=self.schema, version_locations=version_locations
                )
                migrations.upgrade(cfg, self.party)
                return migrations.current_heads(conn, self.schema)

    def current_heads(self) -> tuple[str, ...]:
        """The revisions the party's database is at; empty when it was never migrated."""
        with self._connect() as conn:
            return migrations.current_heads(conn, self.schema)

    def is_up_to_date(self, *, version_locations: Sequence[Path] = ()) -> bool:
        """Whether :meth:`migrate` would have nothing to do."""
        cfg = migrations.alembic_config(version_locations=version_locations)
        return migrations.is_current(cfg, self.party, self.current_heads())

    def ping(self) -> float:
        """Run ``SELECT 1`` and return the round trip in seconds; raise if unreachable."""
        start = time.perf_counter()
        with self._connect() as conn:
            conn.execute(text("SELECT 1"))
        return time.perf_counter() - start

    def dump_tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table of this party, keyed by table name.

        Tables are reflected from the database, so agent tables added by later
        revisions are included. The privacy test scans this for raw worker values.
        """
        dump: dict[str, list[dict[str, Any]]] = {}
        with self._connect() as conn:
            names = sorted(inspect(conn).get_table_names(schema=self.schema))
            metadata = MetaData()
            for name in names:
                table = Table(name, metadata, autoload_with=conn, schema=self.schema)
                query = select(table).order_by(*table.primary_key.columns)
                dump[name] = [dict(row) for row in conn.execute(query).mappings()]
        return dump

    def dispose(self) -> None:
        """Close every pooled connection. The object may be used again afterwards."""
        self._engine.dispose()

    def _connect(self) -> Connection:
        try:
            return self._engine.connect()
        except OperationalError as exc:
            raise DatabaseUnavailable(
                f"cannot reach the database of party {self.party!r} ({self.where}): "
                f"{exc.orig or exc}",
                hint="Check that the database server is running and DATABASE_URL is right.",
            ) from exc
