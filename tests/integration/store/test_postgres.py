"""The shared store suite on PostgreSQL, plus what only PostgreSQL has (schemas, locks)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text

from tests.unit.store.backends import StoreBackend
from tests.unit.store.suite_audit import AuditSuite
from tests.unit.store.suite_db import COMMON_TABLES, DatabaseSuite
from tests.unit.store.suite_idempotency import IdempotencySuite
from tests.unit.store.suite_ledger import LedgerSuite

pytestmark = pytest.mark.postgres


class TestPostgresDatabase(DatabaseSuite):
    pass


class TestPostgresAudit(AuditSuite):
    pass


class TestPostgresLedger(LedgerSuite):
    pass


class TestPostgresIdempotency(IdempotencySuite):
    pass


def test_tables_and_version_live_in_the_party_schema(backend: StoreBackend) -> None:
    db = backend.open("gateway")
    assert db.schema is not None and db.schema.endswith("_gateway")
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        assert set(inspector.get_table_names(schema=db.schema)) == COMMON_TABLES
        assert not COMMON_TABLES & set(inspector.get_table_names(schema="public"))
        # migrate() set search_path for its own transaction only
        assert "public" in conn.execute(text("SHOW search_path")).scalar_one()


def test_agents_starting_together_migrate_one_at_a_time(backend: StoreBackend) -> None:
    first = backend.open("receiver", migrate=False)
    twins = [first, *(backend.reopen(first) for _ in range(3))]
    failures: list[BaseException] = []

    def start(db_index: int) -> None:
        try:
            twins[db_index].migrate()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(twins))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert first.is_up_to_date()
