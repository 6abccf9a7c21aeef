"""Prefunding the payout float explicitly (F14), and the reconciliation of the float."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zkredit.cli.main import app
from zkredit.domain.ledger import (
    JournalEntry,
    cash,
    credit,
    debit,
    fx_position,
    owner_capital,
    partner_prefunding,
    payout_due,
    payout_float,
    remittance_payout,
)
from zkredit.domain.money import Money, currency
from zkredit.errors import InputError
from zkredit.ops.reconcile import reconcile_databases
from zkredit.ops.treasury import fund_float
from zkredit.store.db import Database
from zkredit.store.errors import LedgerConflict
from zkredit.store.ledger import Ledger

PHP = currency("PHP")
FLOAT = Money(1_000_000_00, PHP)
PAYOUT = Money(1_500_000, PHP)


@pytest.fixture
def dbs(tmp_path: Path) -> dict[str, Database]:
    out = {}
    for party in ("remittance", "receiver"):
        out[party] = Database.open(party, None, tmp_path)
        out[party].migrate()
    return out


def pay_out(dbs: dict[str, Database], transfer_id: str) -> None:
    """One payout, as both agents book it."""
    Ledger(dbs["remittance"]).post(JournalEntry(f"{transfer_id}:owed", (
        debit(fx_position(PHP), PAYOUT), credit(payout_due(PHP), PAYOUT)), "owed"))
    Ledger(dbs["remittance"]).post(remittance_payout(transfer_id, PAYOUT))
    Ledger(dbs["receiver"]).post(JournalEntry(f"{transfer_id}:payout", (
        debit(partner_prefunding(PHP), PAYOUT), credit(cash(PHP), PAYOUT)), "paid"))


def test_funding_books_a_balanced_entry_on_each_side_once(dbs: dict[str, Database]) -> None:
    done = fund_float(dbs["remittance"], dbs["receiver"], FLOAT, "TRSY-1")
    assert done.remittance_booked and done.receiver_booked
    remittance, receiver = Ledger(dbs["remittance"]), Ledger(dbs["receiver"])
    assert remittance.balance(payout_float(PHP), PHP) == FLOAT
    assert remittance.balance(owner_capital(PHP), PHP) == -FLOAT
    assert receiver.balance(cash(PHP), PHP) == FLOAT
    assert receiver.balance(partner_prefunding(PHP), PHP) == -FLOAT
    again = fund_float(dbs["remittance"], dbs["receiver"], FLOAT, "TRSY-1")
    assert not again.remittance_booked and not again.receiver_booked
    assert remittance.balance(payout_float(PHP), PHP) == FLOAT
    assert remittance.trial_balance().balanced and receiver.trial_balance().balanced
    with pytest.raises(LedgerConflict):
        fund_float(dbs["remittance"], dbs["receiver"], FLOAT + FLOAT, "TRSY-1")
    with pytest.raises(InputError, match="positive amount"):
        fund_float(dbs["remittance"], None, Money(0, PHP), "TRSY-2")


def test_payouts_beyond_the_float_are_a_difference(dbs: dict[str, Database]) -> None:
    pay_out(dbs, "tr_1")  # nothing funded: both sides are overdrawn
    report = reconcile_databases(dbs)
    floats = [d for d in report.differences if d.check == "float"]
    assert {(d.party, d.currency) for d in floats} == {("remittance", "PHP"),
                                                       ("receiver", "PHP")}
    assert all("overdrawn by 1500000" in d.message for d in floats)

    fund_float(dbs["remittance"], dbs["receiver"], FLOAT, "TRSY-1")

    report = reconcile_databases(dbs)
    assert [d for d in report.differences if d.check == "float"] == []
    left = FLOAT.minor - PAYOUT.minor
    assert report.flows["float"] == {"remittance": {"PHP": left}, "receiver": {"PHP": left}}


def test_the_cli_funds_the_float_once(dbs: dict[str, Database], tmp_path: Path) -> None:
    for db in dbs.values():
        db.dispose()
    args = ["ledger", "fund-float", "--currency", "PHP", "--amount-minor", str(FLOAT.minor),
            "--reference", "TRSY-CLI", "--data-dir", str(tmp_path), "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exception is None, first.output
    assert json.loads(first.stdout) == {"reference": "TRSY-CLI", "amount_minor": FLOAT.minor,
                                        "currency": "PHP", "remittance_booked": True,
                                        "receiver_booked": True}
    second = CliRunner().invoke(app, args)
    assert json.loads(second.stdout)["remittance_booked"] is False
    db = Database.open("remittance", None, tmp_path, create=False)
    try:
        assert Ledger(db).balance(payout_float(PHP), PHP) == FLOAT
    finally:
        db.dispose()
