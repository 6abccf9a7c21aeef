"""Crash and resume, whole system: ``zkredit serve all`` against anvil is SIGKILLed in the
middle of proving Samuel's loan, and again in the middle of paying out its disbursement.
After each restart the loan is decided, and the transfer paid, exactly once.

The test plays the worker's own app and the external issuers (like ``zkredit.demo.flows``)
and only *reads* the agents' SQLite databases, to find the moment to kill and to check
that every effect exists once. A job a killed process left ``running`` is retried once
its lease (the in-process queue's 15 s) expires, so each restart costs about that long.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import pytest

from tests.conftest import ROOT
from tests.integration.e2e.conftest import seed_demo_users
from zkredit.chain.client import ChainClient
from zkredit.chain.deployment import Deployment, System
from zkredit.demo.flows import DemoSystem, Outcome, WorkerClient, issue_applicant, onboard
from zkredit.issuers.registry import IssuerRegistry
from zkredit.scenarios import SAMUEL

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.e2e]

RAIL_LATENCY_MS = 4000
HEALTHY_TIMEOUT_S = 60.0
"""First start deploys every contract; a restart re-checks them (idempotent)."""
KILL_WINDOW_TIMEOUT_S = 60.0
RESUME_TIMEOUT_S = 60.0
"""A killed attempt's lease (15 s) must expire before it is retried, then the work reruns."""
PORT_SPAN = 5  # gateway, worker, credit, remittance, receiver

T = TypeVar("T")


# -- the server process ---------------------------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port_base(rng: random.Random) -> int:
    for _ in range(200):
        base = rng.randrange(20000, 40000 - PORT_SPAN)
        if all(_port_free(base + i) for i in range(PORT_SPAN)):
            return base
    raise AssertionError("no 5 consecutive free ports between 20000 and 40000")


@dataclass
class Server:
    """``zkredit serve all`` in its own session, so the whole group dies at once."""

    data: Path
    rpc_url: str
    base: int
    logs: Path
    runs: int = 0
    popen: subprocess.Popen[bytes] | None = None
    pgids: list[int] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    @property
    def worker_url(self) -> str:
        return f"http://127.0.0.1:{self.base + 1}"

    def args(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "zkredit.cli.main",
            "serve",
            "all",
            "--data-dir",
            str(self.data),
            "--deployments-dir",
            str(self.data / "chain"),
            "--rpc-url",
            self.rpc_url,
            "--port-base",
            str(self.base),
            "--rail-latency-ms",
            str(RAIL_LATENCY_MS),
        ]

    def start(self) -> None:
        assert self.popen is None or self.popen.poll() is not None, "already running"
        self.runs += 1
        env = {
            **os.environ,
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "RPC_URL": "",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        }
        with open(self._log("out"), "ab") as out, open(self._log("err"), "ab") as err:
            self.popen = subprocess.Popen(
                self.args(),
                cwd=self.logs,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.pgids.append(self.popen.pid)

    def _log(self, stream: str) -> Path:
        return self.logs / f"serve-{self.runs}.{stream}"

    @property
    def exited(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def tail(self, chars: int = 4000) -> str:
        parts = []
        for stream in ("err", "out"):
            path = self._log(stream)
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- serve run {self.runs} std{stream} (tail) ---\n{text[-chars:]}")
        return "\n".join(parts)

    def wait_healthy(self, timeout: float = HEALTHY_TIMEOUT_S) -> float:
        t0 = time.monotonic()
        last = "no answer yet"
        with httpx.Client(timeout=10.0) as http:
            while True:
                if self.exited is not None:
                    raise AssertionError(
                        f"`zkredit serve all` exited with {self.exited} before it was "
                        f"healthy\n{self.tail()}"
                    )
                try:
                    r = http.get(f"{self.gateway}/api/health")
                    if r.status_code == 200 and r.json().get("status") == "healthy":
                        return time.monotonic() - t0
                    last = f"{r.status_code}: {r.text[:500]}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                if time.monotonic() - t0 > timeout:
                    raise AssertionError(
                        f"{self.gateway}/api/health not healthy after {timeout:.0f} s "
                        f"(last: {last})\n{self.tail()}"
                    )
                time.sleep(0.25)

    def kill(self) -> None:
        """SIGKILL the process group: no shutdown code runs, the prover pool dies too."""
        assert self.popen is not None
        self._signal_group(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=15)

    def stop(self) -> None:
        """Stop whatever is left of every run (tear-down; also after a failure)."""
        if self.popen is not None and self.popen.poll() is None:
            self._signal_group(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=15)
        for pgid in self.pgids:  # stragglers of any run (pool processes share the group)
            self._signal_group(pgid, signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=15)

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)


# -- reading the agents' databases ---------------------------------------------------------


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a read-only query; none while the database or table does not exist yet."""
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        con.close()


@dataclass
class Databases:
    data: Path

    def db(self, party: str) -> Path:
        return self.data / party / f"{party}.db"

    def jobs(self, party: str, kinds: tuple[str, ...] | None = None) -> list[tuple[Any, ...]]:
        found = rows(
            self.db(party),
            "SELECT id, kind, status, attempts, dedup_key, last_error "
            "FROM jobs ORDER BY created_at",
        )
        return [r for r in found if kinds is None or r[1] in kinds]

    def state(self) -> str:
        """Everything a failure message needs: jobs, applications, transfers, payouts."""
        lines = []
        for party in ("worker", "credit", "remittance", "receiver"):
            for job in self.jobs(party):
                lines.append(
                    f"{party} job {job[1]} {job[4]}: {job[2]} attempts={job[3]}"
                    + (f" last_error={job[5]!r}" if job[5] else "")
                )
        for r in rows(self.db("worker"), "SELECT id, status, error FROM worker_loan_applications"):
            lines.append(f"worker loan {r[0]}: {r[1]}" + (f" error={r[2]!r}" if r[2] else ""))
        for r in rows(self.db("credit"), "SELECT worker_ref, status FROM credit_applications"):
            lines.append(f"credit application for {r[0]}: {r[1]}")
        for r in rows(self.db("credit"), "SELECT id, status FROM credit_loans"):
            lines.append(f"credit loan {r[0]}: {r[1]}")
        for r in rows(self.db("remittance"), "SELECT id, kind, state FROM remittance_transfers"):
            lines.append(f"remittance transfer {r[0]} ({r[1]}): {r[2]}")
        for r in rows(self.db("receiver"), "SELECT id, transfer_id, status FROM receiver_payouts"):
            lines.append(f"receiver payout {r[0]} for {r[1]}: {r[2]}")
        return "\n".join(lines) or "(no rows yet)"

    def ledger_totals(self, party: str) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        sql = (
            "SELECT currency, side, SUM(amount_minor) FROM ledger_postings GROUP BY currency, side"
        )
        for ccy, side, total in rows(self.db(party), sql):
            totals.setdefault(ccy, {"debit": 0, "credit": 0})[side] = int(total)
        return totals


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    timeout: float,
    server: Server,
    dbs: Databases,
    poll_s: float = 0.05,
) -> T:
    """``probe()`` once it is truthy; a bounded wait that explains itself on failure."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if server.exited is not None:
            raise AssertionError(
                f"the server exited ({server.exited}) while waiting for "
                f"{what}\nstate:\n{dbs.state()}\n{server.tail()}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what}\n"
                f"state:\n{dbs.state()}\n{server.tail()}"
            )
        time.sleep(poll_s)


# -- the external parties (issuers, KYC provider) ----------------------------------------------


@dataclass
class Parties:
    """The issuers and the KYC provider, outside the server, as ``onboard`` and
    ``issue_applicant`` use them (``registry``, ``publish_kyc_root``, ``today``)."""

    registry: IssuerRegistry
    system: System
    worker_url: str

    def publish_kyc_root(self) -> str:
        tx = self.registry.kyc_provider().publish(self.system.kyc)  # deployer: KYC provider
        self.registry.save()
        return tx

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.system.client.now(), dt.UTC).date()


def loan_request() -> dict[str, Any]:
    return {
        "lender": "credit",
        "amount_minor": SAMUEL.loan_minor,
        "currency": SAMUEL.currency,
        "months": SAMUEL.loan_months,
        "payout": {
            "route": "bank_transfer",
            "recipient": {
                "name": SAMUEL.name,
                "account": "0123456789",
                "bank": "Zenith Bank",
                "country": "NG",
            },
        },
    }


def poll_loan(
    worker: WorkerClient,
    app_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float,
    server: Server,
    dbs: Databases,
    what: str,
) -> dict[str, Any]:
    """GET /loans/{id}?wait=... until ``done``, surviving nothing but a bounded wait."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}

    def probe() -> dict[str, Any] | None:
        nonlocal last
        left = max(0.0, min(5.0, deadline - time.monotonic()))
        last = worker.loan(app_id, wait=left)
        return last if done(last) else None

    try:
        return wait_for(what, probe, timeout, server, dbs, poll_s=0.1)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\nlast GET /loans/{app_id}: {json.dumps(last)[:1500]}"
        ) from None


# -- the test --------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path, anvil_url: str) -> Iterator[Server]:
    logs = tmp_path / "logs"
    logs.mkdir()
    srv = Server(tmp_path / "data", anvil_url, pick_port_base(random.Random()), logs)
    try:
        yield srv
    finally:
        srv.stop()


def test_killed_mid_proof_and_mid_payout_completes_exactly_once(
    server: Server, worker: WorkerClient
) -> None:
    timings: dict[str, float] = {}
    t_start = time.monotonic()
    dbs = Databases(server.data)

    def lap(name: str, since: float) -> float:
        now = time.monotonic()
        timings[name] = round(now - since, 1)
        return now

    # 1. the whole system, against anvil
    server.start()
    server.wait_healthy()
    seed_demo_users(server.data)  # the worker's own app logs in as Samuel
    t = lap("first start", t_start)

    # 2. Samuel's loan, killed while the worker agent proves
    client = ChainClient.connect(server.rpc_url)
    system = Deployment.load(server.data / "chain", client.chain_id).system(
        client, client.dev_accounts()[0]
    )
    registry = IssuerRegistry.open(server.data / "issuers")  # made by `serve all`
    parties = cast(DemoSystem, Parties(registry, system, server.worker_url))
    out = Outcome("crash-resume")
    birth = (SAMUEL.birth_date.year, SAMUEL.birth_date.month, SAMUEL.birth_date.day)
    ident = onboard(parties, worker, SAMUEL.name, birth, SAMUEL.jurisdiction, SAMUEL.kyc_level, out)
    issue_applicant(parties, worker, ident, SAMUEL, parties.today(), out)
    app_id = worker.apply(ident["identity_id"], loan_request())["id"]
    t = lap("onboard and apply", t)

    def proving() -> list[str]:
        return [
            r[0]
            for r in rows(
                dbs.db("worker"),
                "SELECT id FROM jobs WHERE kind = 'worker.prove' AND status = 'running' "
                "AND json_extract(payload, '$.application_id') = ?",
                app_id,
            )
        ]

    wait_for(
        "a worker.prove job of the loan to be running", proving, KILL_WINDOW_TIMEOUT_S, server, dbs
    )
    server.kill()
    killed_proofs = proving()  # what the dead process left running (its leases will expire)
    assert killed_proofs, f"the kill missed the proof it aimed at\n{dbs.state()}"
    assert rows(
        dbs.db("worker"),
        "SELECT status, decision FROM worker_loan_applications WHERE id = ?",
        app_id,
    ) == [("proving", None)]
    t = lap("until killed mid-proof", t)

    server.start()
    timings["restart 1 healthy"] = round(server.wait_healthy(), 1)
    loan = poll_loan(
        worker,
        app_id,
        lambda r: r["status"] not in ("requested", "opened", "proving"),
        RESUME_TIMEOUT_S,
        server,
        dbs,
        "the loan to be decided after the restart",
    )
    t = lap("kill to decision", t)

    decision = loan["decision"] or {}
    assert loan["status"] == "approved", (loan["status"], loan.get("error"), decision)
    assert decision["status"] == "approved" and decision["tier"] == 2, decision
    for job_id in killed_proofs:  # the interrupted attempt was retried, once
        status, attempts, error = rows(
            dbs.db("worker"), "SELECT status, attempts, last_error FROM jobs WHERE id = ?", job_id
        )[0]
        assert (status, attempts) == ("done", 2), (job_id, status, attempts, error)
        assert "lost" in (error or ""), error
    proves = dbs.jobs("worker", ("worker.prove",))
    assert len(proves) == 4 and all(r[2] == "done" for r in proves), proves

    apps = rows(
        dbs.db("credit"),
        "SELECT id, decision, public_signals, attestation FROM "
        "credit_applications WHERE worker_ref = ?",
        app_id,
    )
    assert len(apps) == 1, apps
    credit_app_id, stored, signals, attestation = apps[0]
    assert stored is not None and json.loads(stored)["status"] == "approved"
    nullifiers = rows(dbs.db("credit"), "SELECT nullifier, application_id FROM credit_nullifiers")
    assert nullifiers == [(nullifiers[0][0], credit_app_id)], nullifiers
    nullifier = int(nullifiers[0][0])
    assert {int(v[0]) for v in json.loads(signals).values()} == {nullifier}
    attests = dbs.jobs("credit", ("credit.attest",))
    assert len(attests) == 1 and attests[0][2:4] == ("done", 1), attests

    tx_hash = decision["attestation"]["tx_hash"]
    assert json.loads(attestation)["tx_hash"] == tx_hash
    receipt = client.w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    assert system.credit.is_nullifier_used(nullifier)
    verified = [
        e
        for e in system.zk.contract.events.ApplicationVerified.get_logs(from_block=0)
        if int(e["args"]["nullifier"]) == nullifier
    ]
    assert len(verified) == 1, verified
    assert verified[0]["transactionHash"].to_0x_hex() == tx_hash
    assert int(verified[0]["args"]["tier"]) == 2
    t = lap("checks after decision", t)

    # 3. accept: the disbursement's payout, killed while the rail pays
    worker.accept(app_id)

    def paying() -> tuple[str, str] | None:
        transfers = rows(
            dbs.db("remittance"),
            "SELECT id FROM remittance_transfers WHERE kind = 'disbursement' AND state = 'sent'",
        )
        for (transfer_id,) in transfers:
            payout = rows(
                dbs.db("receiver"),
                "SELECT id FROM receiver_payouts WHERE transfer_id = ? AND status = 'pending'",
                transfer_id,
            )
            job = rows(
                dbs.db("remittance"),
                "SELECT id FROM jobs WHERE dedup_key = ? AND status = 'running'",
                f"advance:{transfer_id}:sent",
            )
            if payout and job:
                return transfer_id, job[0][0]
        return None

    transfer_id, payout_job = wait_for(
        "the disbursement's payout to be in flight", paying, KILL_WINDOW_TIMEOUT_S, server, dbs
    )
    server.kill()
    assert rows(dbs.db("receiver"), "SELECT status FROM receiver_payouts") == [("pending",)]
    t = lap("accept until killed mid-payout", t)

    server.start()
    timings["restart 2 healthy"] = round(server.wait_healthy(), 1)

    def completed() -> bool:
        state = rows(
            dbs.db("remittance"), "SELECT state FROM remittance_transfers WHERE id = ?", transfer_id
        )
        return state == [("completed",)]

    wait_for(
        "the disbursement to complete after the restart", completed, RESUME_TIMEOUT_S, server, dbs
    )
    loan = poll_loan(
        worker,
        app_id,
        lambda r: r["status"] == "active",
        30,
        server,
        dbs,
        "the worker's loan to be active",
    )
    t = lap("kill to completed payout", t)

    status, attempts, error = rows(
        dbs.db("remittance"),
        "SELECT status, attempts, last_error FROM jobs WHERE id = ?",
        payout_job,
    )[0]
    assert (status, attempts) == ("done", 2), (status, attempts, error)
    assert "lost" in (error or ""), error
    payouts = rows(
        dbs.db("receiver"), "SELECT id, transfer_id, status, confirmation FROM receiver_payouts"
    )
    assert len(payouts) == 1 and payouts[0][1:3] == (transfer_id, "paid_out"), payouts
    payout_id = payouts[0][0]
    assert rows(
        dbs.db("receiver"),
        "SELECT COUNT(*) FROM ledger_entries WHERE id = ?",
        f"{payout_id}:payout",
    ) == [(1,)]

    loans = rows(dbs.db("credit"), "SELECT id, status, disbursement FROM credit_loans")
    assert len(loans) == 1 and loans[0][1] == "disbursed", loans
    credit_loan_id = loans[0][0]
    assert json.loads(loans[0][2])["transfer_id"] == transfer_id
    assert (loan["loan"] or {}).get("loan_id") == credit_loan_id, loan
    transfers = rows(
        dbs.db("remittance"),
        "SELECT id, loan_id, state, payout_id FROM "
        "remittance_transfers WHERE kind = 'disbursement'",
    )
    assert transfers == [(transfer_id, credit_loan_id, "completed", payout_id)], transfers
    for party in ("remittance", "receiver", "credit"):
        totals = dbs.ledger_totals(party)
        assert totals, f"{party} booked nothing"
        for ccy, sides in totals.items():
            assert sides["debit"] == sides["credit"], (party, ccy, sides)
    principal = SAMUEL.loan_minor
    assert dbs.ledger_totals("receiver") == {"NGN": {"debit": principal, "credit": principal}}

    timings["total"] = round(time.monotonic() - t_start, 1)
    print(f"\ncrash-resume timings (s): {json.dumps(timings)}")
