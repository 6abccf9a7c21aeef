"""F34: an audit entry written in the caller's transaction commits or rolls back with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from zkredit.store.audit import AuditLog
from zkredit.store.db import Database
from zkredit.store.errors import StoreError
from zkredit.store.ledger import Ledger


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database.open("credit", None, tmp_path)
    database.migrate()
    return database


def test_an_entry_rolls_back_with_the_business_change(db: Database) -> None:
    log = AuditLog(db, Account.create())
    with pytest.raises(RuntimeError), db.session(lock="loan:1") as s:
        log.append("loan.accepted", {"loan_id": "1"}, session=s)
        raise RuntimeError("the business change failed after its entry was written")
    assert log.head() is None

    with db.session(lock="loan:1") as s:
        log.append("loan.accepted", {"loan_id": "1"}, session=s)
    assert log.head() is not None and log.verify().ok


def test_an_entry_needs_a_locked_unit_of_work(db: Database) -> None:
    with pytest.raises(StoreError, match="lock"), db.session() as s:
        AuditLog(db, Account.create()).append("x", {}, session=s)
    assert Ledger(db).trial_balance().balanced
