"""Crash and resume against the production backends: the scenario of
``test_crash_resume`` with ``zkredit serve all`` on PostgreSQL and the Redis job queue.

The server is SIGKILLed while the worker agent proves Samuel's loan and again while the
rail pays out its disbursement. The moments to kill are found through the agents' HTTP
APIs (backend independent); the exactly-once checks read the agents' PostgreSQL schemas
(``<prefix>_<party>``, one prefix per run, dropped at the end with the run's Redis keys).

A killed consumer's message comes back once its dramatiq heartbeat is stale (15 s) and the
dead attempt's lease (15 s) has expired, so each resume waits longer than with SQLite.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import psycopg
import pytest
import redis
from psycopg import sql

from tests.conftest import require
from tests.integration.e2e.conftest import seed_demo_users
from tests.integration.e2e.test_crash_resume import (
    Databases,
    Parties,
    Server,
    loan_request,
    pick_port_base,
    poll_loan,
    wait_for,
)
from zkredit.chain.client import ChainClient
from zkredit.chain.deployment import Deployment
from zkredit.demo.flows import DemoSystem, Outcome, WorkerClient, issue_applicant, onboard
from zkredit.demo.users import OPERATOR, bearer
from zkredit.issuers.registry import IssuerRegistry
from zkredit.jobs.api import JobId
from zkredit.jobs.redis_store import RedisJobStore
from zkredit.scenarios import SAMUEL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.anvil,
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
]

PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
KILL_WINDOW_TIMEOUT_S = 60.0
RESUME_TIMEOUT_S = 90.0
"""Heartbeat timeout (15 s) and lease (15 s) before the redelivered attempt reruns."""
PROVING_GRACE_S = 0.3
"""After the loan turns ``proving``, the time the proving jobs get to start running."""


# -- the backends -------------------------------------------------------------------------------


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3) as con:
            con.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def _redis_reachable() -> bool:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@dataclass
class ServicesServer(Server):
    """``zkredit serve all`` with PostgreSQL, Redis and this run's schema prefix."""

    prefix: str = ""

    def args(self) -> list[str]:
        return [
            *super().args(),
            "--database-url",
            PG_URL,
            "--redis-url",
            REDIS_URL,
            "--schema-prefix",
            self.prefix,
        ]


@dataclass
class PgDatabases(Databases):
    """The agents' PostgreSQL schemas, read only."""

    prefix: str = ""
    chain_id: int = 0

    def jobs(self, party: str, kinds: tuple[str, ...] | None = None) -> list[tuple[Any, ...]]:
        """The party's jobs in Redis: (id, kind, status, attempts, dedup_key, last_error)."""
        namespace = f"zkredit-{self.prefix}-{party}-{self.chain_id}"
        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            store = RedisJobStore(client, namespace)
            found = [
                store.get(JobId(key.rsplit(":", 1)[1]))
                for key in client.scan_iter(match=f"{namespace}:job:*", count=1000)
            ]
        finally:
            client.close()
        return [
            (j.id, j.kind, j.state.value, j.attempts, j.dedup_key, j.last_error)
            for j in sorted((j for j in found if j is not None), key=lambda j: j.created_at)
            if kinds is None or j.kind in kinds
        ]

    def q(self, party: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``query`` with ``{s}`` the party's schema; none before it exists."""
        stmt = sql.SQL(query).format(s=sql.Identifier(f"{self.prefix}_{party}"))
        try:
            with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as con:
                return con.execute(stmt, params).fetchall()
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
            return []

    def state(self) -> str:
        lines = []
        if self.chain_id:
            for party in ("worker", "credit", "remittance", "receiver"):
                for job in self.jobs(party):
                    lines.append(
                        f"{party} job {job[1]} {job[4]}: {job[2]} attempts={job[3]}"
                        + (f" last_error={job[5]!r}" if job[5] else "")
                    )
        for r in self.q("worker", "SELECT id, status, error FROM {s}.worker_loan_applications"):
            lines.append(f"worker loan {r[0]}: {r[1]}" + (f" error={r[2]!r}" if r[2] else ""))
        for r in self.q("credit", "SELECT worker_ref, status FROM {s}.credit_applications"):
            lines.append(f"credit application for {r[0]}: {r[1]}")
        for r in self.q("credit", "SELECT id, status FROM {s}.credit_loans"):
            lines.append(f"credit loan {r[0]}: {r[1]}")
        for r in self.q("remittance", "SELECT id, kind, state FROM {s}.remittance_transfers"):
            lines.append(f"remittance transfer {r[0]} ({r[1]}): {r[2]}")
        for r in self.q("receiver", "SELECT id, transfer_id, status FROM {s}.receiver_payouts"):
            lines.append(f"receiver payout {r[0]} for {r[1]}: {r[2]}")
        return "\n".join(lines) or "(no rows yet)"

    def ledger_totals(self, party: str) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        query = (
            "SELECT currency, side, SUM(amount_minor) FROM {s}.ledger_postings "
            "GROUP BY currency, side"
        )
        for ccy, side, total in self.q(party, query):
            totals.setdefault(ccy, {"debit": 0, "credit": 0})[side] = int(total)
        return totals


def _drop(prefix: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "\\_%",)
            )
        ]
        for name in names:
            con.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"zkredit-{prefix}-*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
    finally:
        client.close()


# -- the fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def prefix(anvil_url: str) -> Iterator[str]:
    why = _pg_reachable()
    require(why is None, f"PostgreSQL is not reachable at {PG_URL} ({why})")
    require(_redis_reachable(), f"Redis is not reachable at {REDIS_URL}")
    name = f"zkcr_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        _drop(name)


@pytest.fixture
def server(tmp_path: Path, anvil_url: str, prefix: str) -> Iterator[ServicesServer]:
    logs = tmp_path / "logs"
    logs.mkdir()
    srv = ServicesServer(
        tmp_path / "data", anvil_url, pick_port_base(random.Random()), logs, prefix=prefix
    )
    try:
        yield srv
    finally:
        srv.stop()


# -- the test -------------------------------------------------------------------------------------


def test_killed_mid_proof_and_mid_payout_completes_exactly_once_on_postgres_and_redis(
    server: ServicesServer, worker: WorkerClient
) -> None:
    timings: dict[str, float] = {}
    t_start = time.monotonic()
    dbs = PgDatabases(server.data, prefix=server.prefix)
    credit_url = f"http://127.0.0.1:{server.base + 2}"
    remittance_url = f"http://127.0.0.1:{server.base + 3}"
    http = httpx.Client(timeout=10.0)

    def lap(name: str, since: float) -> float:
        now = time.monotonic()
        timings[name] = round(now - since, 1)
        return now

    # 1. the whole system, against anvil, PostgreSQL and Redis
    server.start()
    server.wait_healthy()
    seed_demo_users(server.data, PG_URL, server.prefix)  # the worker logs in as Samuel
    t = lap("first start", t_start)
    assert dbs.q("worker", "SELECT COUNT(*) FROM {s}.worker_identities") == [(0,)]

    # 2. Samuel's loan, killed while the worker agent proves
    client = ChainClient.connect(server.rpc_url)
    system = Deployment.load(server.data / "chain", client.chain_id).system(
        client, client.dev_accounts()[0]
    )
    dbs.chain_id = client.chain_id
    registry = IssuerRegistry.open(server.data / "issuers")  # made by `serve all`
    parties = cast(DemoSystem, Parties(registry, system, server.worker_url))
    out = Outcome("crash-resume-services")
    birth = (SAMUEL.birth_date.year, SAMUEL.birth_date.month, SAMUEL.birth_date.day)
    ident = onboard(parties, worker, SAMUEL.name, birth, SAMUEL.jurisdiction, SAMUEL.kyc_level, out)
    issue_applicant(parties, worker, ident, SAMUEL, parties.today(), out)
    app_id = worker.apply(ident["identity_id"], loan_request())["id"]
    t = lap("onboard and apply", t)

    def proving() -> bool:
        return bool(worker.loan(app_id, wait=0)["status"] == "proving")

    wait_for("the loan to be proving", proving, KILL_WINDOW_TIMEOUT_S, server, dbs)
    time.sleep(PROVING_GRACE_S)
    assert worker.loan(app_id, wait=0)["status"] == "proving", "proved before the kill"
    server.kill()
    assert dbs.q(
        "worker",
        "SELECT status, decision FROM {s}.worker_loan_applications WHERE id = %s",
        app_id,
    ) == [("proving", None)]
    assert dbs.q("credit", "SELECT COUNT(*) FROM {s}.credit_nullifiers") == [(0,)]
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
    proves = dbs.jobs("worker", ("worker.prove",))
    assert len(proves) == 4 and all(r[2] == "done" for r in proves), proves
    retried = [r for r in proves if r[3] == 2]  # the attempts the kill interrupted
    assert retried, f"the kill missed the proofs it aimed at: {proves}"
    assert all(r[3] in (1, 2) for r in proves), proves
    assert all("lost" in (r[5] or "") for r in retried), retried

    apps = dbs.q(
        "credit",
        "SELECT id, decision, public_signals, attestation FROM {s}.credit_applications "
        "WHERE worker_ref = %s",
        app_id,
    )
    assert len(apps) == 1, apps
    credit_app_id, stored, signals, attestation = apps[0]
    assert stored is not None and stored["status"] == "approved"
    nullifiers = dbs.q("credit", "SELECT nullifier, application_id FROM {s}.credit_nullifiers")
    assert nullifiers == [(nullifiers[0][0], credit_app_id)], nullifiers
    nullifier = int(nullifiers[0][0])
    assert {int(v[0]) for v in signals.values()} == {nullifier}

    tx_hash = decision["attestation"]["tx_hash"]
    assert attestation["tx_hash"] == tx_hash
    assert client.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
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
    staff = bearer(credit_url, OPERATOR)  # reads every loan and transfer, changes nothing

    def paying() -> str | None:
        try:
            loans = http.get(f"{credit_url}/loans", headers=staff).raise_for_status().json()
            for credit_loan in loans:
                transfer_id = (credit_loan.get("disbursement") or {}).get("transfer_id")
                if not transfer_id:
                    continue
                r = http.get(f"{remittance_url}/transfers/{transfer_id}", headers=staff)
                if r.status_code == 200 and r.json()["state"] == "sent":
                    # the rail's payout runs in the job that advances the sent transfer
                    running = [j for j in dbs.jobs("remittance") if j[2] == "running"]
                    if any(j[4] == f"advance:{transfer_id}:sent" for j in running):
                        return str(transfer_id)
        except httpx.HTTPError:
            return None
        return None

    transfer_id = wait_for(
        "the disbursement's payout to be in flight",
        paying,
        KILL_WINDOW_TIMEOUT_S,
        server,
        dbs,
        poll_s=0.1,
    )
    server.kill()
    assert dbs.q(
        "remittance", "SELECT state FROM {s}.remittance_transfers WHERE id = %s", transfer_id
    ) == [("sent",)]
    advancing = dbs.jobs("remittance")
    payout_jobs = [r for r in advancing if r[4] == f"advance:{transfer_id}:sent"]
    assert len(payout_jobs) == 1 and payout_jobs[0][2] == "running", advancing
    payout_job = payout_jobs[0][0]
    assert [r[0] for r in dbs.q("receiver", "SELECT status FROM {s}.receiver_payouts")] in (
        [],
        ["pending"],
    )
    t = lap("accept until killed mid-payout", t)

    server.start()
    timings["restart 2 healthy"] = round(server.wait_healthy(), 1)

    def completed() -> bool:
        state = dbs.q(
            "remittance", "SELECT state FROM {s}.remittance_transfers WHERE id = %s", transfer_id
        )
        return state == [("completed",)]

    wait_for(
        "the disbursement to complete after the restart",
        completed,
        RESUME_TIMEOUT_S,
        server,
        dbs,
        poll_s=0.25,
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
    http.close()

    (job,) = [r for r in dbs.jobs("remittance") if r[0] == payout_job]
    assert job[2:4] == ("done", 2), job
    assert "lost" in (job[5] or ""), job
    payouts = dbs.q("receiver", "SELECT id, transfer_id, status FROM {s}.receiver_payouts")
    assert len(payouts) == 1 and payouts[0][1:3] == (transfer_id, "paid_out"), payouts
    payout_id = payouts[0][0]
    assert dbs.q(
        "receiver", "SELECT COUNT(*) FROM {s}.ledger_entries WHERE id = %s", f"{payout_id}:payout"
    ) == [(1,)]

    loans = dbs.q("credit", "SELECT id, status, disbursement FROM {s}.credit_loans")
    assert len(loans) == 1 and loans[0][1] == "disbursed", loans
    credit_loan_id = loans[0][0]
    assert loans[0][2]["transfer_id"] == transfer_id
    assert (loan["loan"] or {}).get("loan_id") == credit_loan_id, loan
    transfers = dbs.q(
        "remittance",
        "SELECT id, loan_id, state, payout_id FROM {s}.remittance_transfers "
        "WHERE kind = 'disbursement'",
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
    print(f"\ncrash-resume on PostgreSQL and Redis, timings (s): {json.dumps(timings)}")
