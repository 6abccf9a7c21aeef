"""``zkredit ledger reconcile`` after a real demo run: clean, then each tampering reported."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zkredit.cli.main import app
from zkredit.demo.run import run_scenarios
from zkredit.ops.reconcile import reconcile

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("reconcile")
    report = run_scenarios(["scenario1", "scenario2"], data)
    by = {s["name"]: s for s in report["scenarios"]}
    assert by["scenario1"]["state"] == "completed", by["scenario1"]
    return data


def _cli(data: Path, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, ["ledger", "reconcile", "--data-dir", str(data),
                                      "--json", *args])
    if isinstance(result.exception, SystemExit):
        code = int(result.exception.code or 0)
    else:
        assert result.exception is None, result.output
        code = result.exit_code
    return code, json.loads(result.stdout)


def _db(data: Path, party: str) -> sqlite3.Connection:
    return sqlite3.connect(data / party / f"{party}.db")


def test_a_clean_demo_reconciles(data_dir: Path) -> None:
    code, out = _cli(data_dir)
    assert code == 0, out["differences"]
    assert out["ok"] is True and out["differences"] == []
    assert set(out["parties"]) == {"worker", "credit", "remittance", "receiver"}
    remittance = out["parties"]["remittance"]
    assert remittance["entries"] > 0 and remittance["balanced"]
    assert out["flows"]["transfers"] >= 1 and out["flows"]["paid_out_payouts"] >= 1
    for row in out["flows"]["sent"].values():
        assert row["sent"] == row["paid_out"] + row["refunded"] + row["in_flight"]
    loans = out["flows"]["credit"]
    assert loans["loans"] >= 1 and loans["disbursements"] == loans["loans"]
    assert all(r["lent"] == r["sent"] > 0 for r in loans["lent"].values())
    # F14: the demo prefunded the float it paid out from (zkredit ledger fund-float).
    floats = out["flows"]["float"]
    assert floats["remittance"]["PHP"] > 0 and floats["receiver"]["PHP"] > 0
    assert out["flows"]["funding"]["collected"] == out["flows"]["transfers"]


def test_a_transfer_funded_without_its_collection_is_reported(data_dir: Path,
                                                              tmp_path: Path) -> None:
    data_dir = Path(shutil.copytree(data_dir, tmp_path / "uncollected"))
    with _db(data_dir, "remittance") as conn:
        short, gone = conn.execute("SELECT id, payin_reference FROM remittance_transfers "
                                   "WHERE state = 'completed' ORDER BY id LIMIT 2").fetchall()
        conn.execute("UPDATE remittance_sandbox_payins SET collected_minor = "
                     "collected_minor - 1 WHERE reference = ?", (short[1],))
        conn.execute("UPDATE remittance_transfers SET payin_reference = NULL WHERE id = ?",
                     (gone[0],))

    code, out = _cli(data_dir)

    assert code == 1
    funding = {d["transfer"]: d["message"] for d in out["differences"]
               if d["check"] == "funding"}
    assert set(funding) == {short[0], gone[0]}, funding
    assert "not collected" in funding[short[0]]
    assert "without a pay-in reference" in funding[gone[0]]


def test_payouts_from_an_unfunded_float_are_reported(data_dir: Path, tmp_path: Path) -> None:
    data_dir = Path(shutil.copytree(data_dir, tmp_path / "unfunded"))
    for party, entry in (("remittance", "float:demo-seed-PHP"),
                         ("receiver", "prefunding:demo-seed-PHP")):
        with _db(data_dir, party) as conn:
            conn.execute("DELETE FROM ledger_postings WHERE entry_id = ?", (entry,))
            conn.execute("DELETE FROM ledger_entries WHERE id = ?", (entry,))

    code, out = _cli(data_dir)

    assert code == 1
    floats = [d for d in out["differences"] if d["check"] == "float"]
    assert {(d["party"], d["currency"]) for d in floats} == {("remittance", "PHP"),
                                                             ("receiver", "PHP")}, floats


def test_tampering_is_reported(data_dir: Path, tmp_path: Path) -> None:
    data_dir = Path(shutil.copytree(data_dir, tmp_path / "tampered"))  # the clean copy stays
    with _db(data_dir, "remittance") as conn:
        (completed,) = conn.execute(
            "SELECT id FROM remittance_transfers WHERE state = 'completed' LIMIT 1").fetchone()
        posting_id, entry_id, ccy = conn.execute(
            "SELECT id, entry_id, currency FROM ledger_postings ORDER BY id LIMIT 1").fetchone()
        conn.execute("UPDATE ledger_postings SET amount_minor = amount_minor + 1 WHERE id = ?",
                     (posting_id,))
    with _db(data_dir, "receiver") as conn:
        # One payout per transfer is a unique constraint: rebuild the table without it, as
        # a broken migration or a hand edit could, then pay the completed transfer twice.
        (ddl,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                              "AND name = 'receiver_payouts'").fetchone()
        loose = re.sub(r",\s*CONSTRAINT \w+ UNIQUE \(transfer_id\)", "", ddl)
        assert loose != ddl
        conn.execute("ALTER TABLE receiver_payouts RENAME TO payouts_strict")
        conn.execute(loose)
        conn.execute("INSERT INTO receiver_payouts SELECT * FROM payouts_strict")
        row = conn.execute("SELECT * FROM receiver_payouts WHERE transfer_id = ? "
                           "AND status = 'paid_out'", (completed,)).fetchone()
        columns = [c[1] for c in conn.execute("PRAGMA table_info(receiver_payouts)")]
        duplicate = dict(zip(columns, row, strict=True), id="pay_forged_twice")
        conn.execute(f"INSERT INTO receiver_payouts ({', '.join(columns)}) VALUES "
                     f"({', '.join('?' * len(columns))})", [duplicate[c] for c in columns])

    code, out = _cli(data_dir)
    assert code == 1 and out["ok"] is False
    messages = [d["message"] for d in out["differences"]]
    books = [d for d in out["differences"] if d["party"] == "remittance"
             and d["check"] in ("trial_balance", "entry")]
    assert any(d["check"] == "trial_balance" and d["currency"] == ccy for d in books), messages
    assert any(d["check"] == "entry" and entry_id in d["message"] for d in books), messages
    assert out["parties"]["remittance"]["balanced"] is False
    twice = [d for d in out["differences"] if d.get("transfer") == completed]
    assert any(d["party"] == "receiver" and "2 paid-out payouts" in d["message"]
               for d in twice), messages
    assert any(d["check"] == "totals" for d in out["differences"]), messages

    report = reconcile(None, data_dir)  # the library answers the same
    assert not report.ok and len(report.differences) == len(out["differences"])


def _disbursed(data: Path) -> tuple[str, str]:
    with _db(data, "credit") as conn:
        (loan_id,) = conn.execute(
            "SELECT id FROM credit_loans WHERE status = 'disbursed' LIMIT 1").fetchone()
    with _db(data, "remittance") as conn:
        (tid,) = conn.execute("SELECT id FROM remittance_transfers WHERE loan_id = ?",
                              (loan_id,)).fetchone()
    return loan_id, tid


def test_a_refunded_disbursement_the_lender_still_books_is_reported(data_dir: Path,
                                                                     tmp_path: Path) -> None:
    data_dir = Path(shutil.copytree(data_dir, tmp_path / "refunded"))
    loan_id, tid = _disbursed(data_dir)
    with _db(data_dir, "remittance") as conn:  # F13: the refund reached nobody
        conn.execute("UPDATE remittance_transfers SET state = 'refunded' WHERE id = ?", (tid,))

    code, out = _cli(data_dir)

    assert code == 1
    found = [d for d in out["differences"] if d["check"] == "loan"]
    assert [d["party"] for d in found] == ["credit"]
    assert loan_id in found[0]["message"] and "receivable was not reversed" in \
        found[0]["message"] and found[0]["transfer"] == tid
    assert any(d["check"] == "totals" and d["party"] == "credit"
               for d in out["differences"])


def test_a_loan_lent_twice_or_for_another_amount_is_reported(data_dir: Path,
                                                             tmp_path: Path) -> None:
    data_dir = Path(shutil.copytree(data_dir, tmp_path / "lent"))
    loan_id, tid = _disbursed(data_dir)
    with _db(data_dir, "credit") as conn:
        conn.execute("UPDATE credit_loans SET principal_minor = principal_minor + 100 "
                     "WHERE id = ?", (loan_id,))
    with _db(data_dir, "remittance") as conn:
        conn.execute("UPDATE remittance_transfers SET loan_id = 'loan_nobody_knows' "
                     "WHERE id != ? AND kind = 'remittance' AND state = 'completed' AND "
                     "rowid = (SELECT MIN(rowid) FROM remittance_transfers "
                     "WHERE kind = 'remittance' AND state = 'completed')", (tid,))
        conn.execute("UPDATE remittance_transfers SET kind = 'disbursement' "
                     "WHERE loan_id = 'loan_nobody_knows'")

    code, out = _cli(data_dir)

    assert code == 1
    messages = [d["message"] for d in out["differences"] if d["check"] == "loan"]
    assert any(loan_id in m and "lent" in m and "but its disbursement" in m
               for m in messages), messages
    assert any("loan_nobody_knows, which the lender does not know" in m
               for m in messages), messages
