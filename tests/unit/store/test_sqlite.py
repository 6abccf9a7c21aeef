"""The shared store suite on SQLite, plus what only SQLite has (file layout, pragmas)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text, update
from typer.testing import CliRunner

from tests.unit.store.backends import PARTY_KEY, SQLiteBackend, run_cli
from tests.unit.store.suite_audit import AuditSuite
from tests.unit.store.suite_db import DatabaseSuite
from tests.unit.store.suite_idempotency import IdempotencySuite
from tests.unit.store.suite_ledger import LedgerSuite
from zkredit.cli import audit as audit_cli
from zkredit.cli.output import ExitStatus
from zkredit.store.audit import AuditLog
from zkredit.store.db import Database
from zkredit.store.errors import DatabaseNotFound
from zkredit.store.models import AuditRow


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[SQLiteBackend]:
    b = SQLiteBackend(tmp_path)
    yield b
    b.close()


class TestSQLiteDatabase(DatabaseSuite):
    pass


class TestSQLiteAudit(AuditSuite):
    pass


class TestSQLiteLedger(LedgerSuite):
    pass


class TestSQLiteIdempotency(IdempotencySuite):
    pass


def test_each_party_has_its_own_file(tmp_path: Path) -> None:
    db = Database.open("worker", None, tmp_path)
    assert Path(db.where) == tmp_path / "worker" / "worker.db"
    assert db.schema is None and db.dialect == "sqlite"
    db.migrate()
    assert (tmp_path / "worker" / "worker.db").is_file()
    db.dispose()


def test_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    db = Database.open("credit", None, tmp_path)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15_000
    db.dispose()


def test_a_reader_does_not_create_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotFound, match="no database for party 'credit'"):
        Database.open("credit", None, tmp_path, create=False)
    assert not (tmp_path / "credit").exists()


def test_cli_verify_on_a_tampered_log_exits_non_zero_naming_the_seq(tmp_path: Path) -> None:
    """A real process through the real error funnel (``zkredit.cli.main.run``)."""
    db = Database.open("credit", None, tmp_path)
    db.migrate()
    log = AuditLog(db, PARTY_KEY)
    for n in range(4):
        log.append("step", {"n": n})
    with db.session() as s:
        s.execute(update(AuditRow).where(AuditRow.seq == 2).values(kind="step.forged"))
    db.dispose()
    args = ["--party", "credit", "--data-dir", str(tmp_path), "--database-url", ""]
    result = run_cli("audit", "verify", *args)
    assert result.returncode == ExitStatus.INTEGRITY_FAILED, result.stdout + result.stderr
    assert "Error: audit log of party 'credit' is broken at seq 2: hash mismatch" in " ".join(
        result.stderr.split()
    )


def test_cli_verify_refuses_a_missing_party_database(tmp_path: Path) -> None:
    args = ["verify", "--party", "credit", "--data-dir", str(tmp_path), "--database-url", ""]
    result = CliRunner().invoke(audit_cli.app, args)
    assert isinstance(result.exception, DatabaseNotFound)


def test_cli_verify_rejects_a_malformed_trust_pair(tmp_path: Path) -> None:
    args = ["verify", "--party", "credit", "--data-dir", str(tmp_path), "--trust", "credit"]
    result = CliRunner().invoke(audit_cli.app, args)
    assert result.exception is not None and "PARTY=ADDRESS" in str(result.exception)


def test_a_locked_session_takes_the_write_lock_up_front(tmp_path: Path) -> None:
    db = Database.open("credit", None, tmp_path)
    db.migrate()
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    with db.session() as s:
        s.execute(text("SELECT 1"))
    with db.session(lock="audit") as s:
        s.execute(text("SELECT 1"))
    assert seen == ["BEGIN", "BEGIN IMMEDIATE"]
    db.dispose()
