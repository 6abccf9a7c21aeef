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
