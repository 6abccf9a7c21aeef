"""F17: no worker job waits on another job in its own pool.

Loans and remittances fan out to prove jobs and continue in follow-up jobs when
the proofs are stored, so more concurrent requests than pool threads still
finish; nothing calls ``jobs.wait`` from inside a job.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.unit.agents.remittance.support import close_runtime, directory_of, make_runtime, wallets
from tests.unit.agents.worker.conftest import VAULT_KEY
from zkredit.agents.common.messaging import PeerError
from zkredit.agents.common.reconciler import Reconciler
from zkredit.agents.credit.service import policy_to_wire
from zkredit.agents.worker import service as worker_service_module
from zkredit.agents.worker.service import CIRCUITS, WorkerService
from zkredit.agents.worker.vault import Keyring
from zkredit.agents.worker.vaultstore import Vault
from zkredit.domain.policy import CreditPolicy
from zkredit.zk.statements import Statement

CONCURRENT = 4
"""More requests than the pool's 2 threads."""


@dataclass
class FakeProof:
    circuit: str

    def snarkjs_proof(self) -> dict[str, Any]:
        return {"pi_a": ["1", "2", "1"], "circuit": self.circuit}

    def snarkjs_public(self) -> list[str]:
        return ["7", "1"]


@dataclass
class SlowProver:
    """Takes a while per proof, like the real one."""

    proved: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def prove(self, circuit: str, inputs: dict[str, Any]) -> FakeProof:
        time.sleep(0.2)
        with self.lock:
            self.proved.append(circuit)
        return FakeProof(circuit)


@dataclass
class FakePeers:
    """The lender and the remittance agent, answering at once."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def send(self, recipient: str, message_type: str, payload: Any, *,
             correlation_id: str | None = None,
             idempotency_key: str | None = None) -> dict[str, Any]:
        self.sent.append((message_type, dict(payload)))
        if message_type == "credit.application.open":
            policy = policy_to_wire(CreditPolicy.default_for("NGN"))
            return {"application_id": f"c-{payload['worker_ref']}", "scope": "12345",
                    "today": dt.datetime.now(dt.UTC).date().isoformat(), "policy": policy}
        if message_type == "credit.application.submit":
            return {"status": "approved", "offer": {"offer_id": uuid.uuid4().hex}}
        if message_type == "remittance.quote.request":
            return {"quote_id": uuid.uuid4().hex, "scope": "54321", "quote": {}}
        if message_type == "remittance.transfer.request":
            return {"transfer_id": f"tr_{idempotency_key}", "state": "quoted"}
        if message_type == "remittance.transfer.status":
            return {"transfer_id": payload["transfer_id"], "state": "completed",
                    "receipt": {"transfer_id": payload["transfer_id"]}}
        raise AssertionError(f"unexpected message {message_type}")

    def close(self) -> None:
        return None


@pytest.fixture
def worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkerService]:
    accounts = wallets()
    runtime = make_runtime("worker", tmp_path, accounts["worker"], directory_of(accounts),
                           lambda agent: "http://nowhere")
    runtime.peers.close()
    runtime.peers = FakePeers()  # type: ignore[assignment]
    prover = SlowProver()
    service = WorkerService(runtime, Vault(runtime.db, Keyring.from_settings(
        VAULT_KEY, development=False)), lambda: prover,  # type: ignore[arg-type,return-value]
        sign_submission=lambda *args: None, is_trusted_issuer=lambda *args: True)

    def every_statement_holds(self: WorkerService, *args: Any) -> dict[str, Any]:
        return {c: Statement(c, {"c": c}) for c in CIRCUITS}

    monkeypatch.setattr(WorkerService, "_statements", every_statement_holds)

    def no_waiting(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a job waited on another job of its own pool")

    monkeypatch.setattr(runtime.jobs, "wait", no_waiting)
    service.register_jobs()
    runtime.jobs.start()
    try:
        yield service
    finally:
        close_runtime(runtime)


def until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} after {seconds} s"
        time.sleep(0.05)


def test_more_concurrent_loans_than_pool_threads_all_get_decided(worker: WorkerService) -> None:
    ident = worker.create_identity("samuel")
    apps = [worker.apply_for_loan(ident.id, "credit", 250_000_000, "NGN", 24, {},
                                  client_key=f"loan-{i}") for i in range(CONCURRENT)]

    until(lambda: all(worker.loan(a)["status"] == "approved" for a in apps), 20,
          f"loans still {[worker.loan(a)['status'] for a in apps]}")

    submits = [p for t, p in worker.runtime.peers.sent  # type: ignore[attr-defined]
               if t == "credit.application.submit"]
    assert len(submits) == CONCURRENT
    assert all(sorted(p["proofs"]) == sorted(CIRCUITS) for p in submits)
    assert all(worker.loan(a)["proofs_done"] == sorted(CIRCUITS) for a in apps)  # names only


def test_more_concurrent_remittances_than_pool_threads_all_complete(
    worker: WorkerService,
) -> None:
    ident = worker.create_identity("maria")
    request = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
               "receive_amount_minor": 1_500_000, "recipient": {"name": "Juan Rodriguez"}}
    rems = [worker.remit(ident.id, request, client_key=f"rem-{i}") for i in range(CONCURRENT)]

    until(lambda: all(worker.remittance(r)["status"] == "completed" for r in rems), 20,
          f"remittances still {[worker.remittance(r)['status'] for r in rems]}")

    transfers = [p for t, p in worker.runtime.peers.sent  # type: ignore[attr-defined]
                 if t == "remittance.transfer.request"]
    assert len(transfers) == CONCURRENT


def test_the_worker_module_never_blocks_a_job_on_another_job() -> None:
    source = Path(worker_service_module.__file__).read_text()
    assert "jobs.wait(" not in source


def dead(worker: WorkerService, dedup_key: str) -> bool:
    found = worker.runtime.jobs.store.find(dedup_key)  # type: ignore[attr-defined]
    return found is not None and found.state.value == "dead"


def test_a_loan_whose_submit_job_died_while_the_lender_was_down_is_resumed(
    worker: WorkerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    peers = worker.runtime.peers
    real_send = peers.send

    def lender_down(recipient: str, message_type: str, payload: Any, **kw: Any) -> Any:
        if message_type == "credit.application.submit":
            raise PeerError("credit", 503, "unreachable")
        return real_send(recipient, message_type, payload, **kw)

    ident = worker.create_identity("samuel")
    with monkeypatch.context() as outage:
        outage.setattr(peers, "send", lender_down)
        app = worker.apply_for_loan(ident.id, "credit", 250_000_000, "NGN", 24, {},
                                    client_key="loan-outage")
        until(lambda: dead(worker, f"loan-submit:{app}"), 20, "the submit job never died")
    assert worker.loan(app)["status"] == "proving"

    assert Reconciler({"worker": worker.resume}).run_once() == {"worker": 1}

    until(lambda: worker.loan(app)["status"] == "approved", 20, "the loan was not resumed")


def test_a_remittance_whose_prove_job_died_is_resumed(
    worker: WorkerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    prover = worker.prover()

    def broken(circuit: str, inputs: dict[str, Any]) -> Any:
        raise RuntimeError("prover crashed")

    ident = worker.create_identity("maria")
    request = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
               "receive_amount_minor": 1_500_000, "recipient": {"name": "Juan Rodriguez"}}
    with monkeypatch.context() as failing:
        failing.setattr(prover, "prove", broken)
        rem = worker.remit(ident.id, request, client_key="rem-outage")
        until(lambda: dead(worker, f"prove:remit:{rem}:identity"), 20, "the prove job never died")

    worker.resume()

    until(lambda: worker.remittance(rem)["status"] == "completed", 20,
          "the remittance was not resumed")
