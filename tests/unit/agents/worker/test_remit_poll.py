"""A transfer the rail could not pay is ``failed`` on its way to ``refunded``: the worker
must keep watching it, or the sender is told "failed" while the refund goes unreported."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from zkredit.agents.worker.models import IdentityRow, RemittanceRow
from zkredit.agents.worker.service import StillPending, WorkerService
from zkredit.domain.remittance import TERMINAL_STATES


class Peers:
    def __init__(self, states: list[str]) -> None:
        self.states = states

    def send(self, agent: str, kind: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
        assert (agent, kind) == ("remittance", "remittance.transfer.status")
        state = self.states.pop(0)
        return {"state": state, "receipt": {"state": state} if state == "refunded" else None}


def _remittance(service: WorkerService) -> str:
    ident = service.create_identity("Maria")
    rem_id = uuid.uuid4().hex
    with service.runtime.db.session() as s:
        assert s.get(IdentityRow, ident.id) is not None
        s.add(RemittanceRow(id=rem_id, identity_id=ident.id, request={}, status="sent",
                            quote={}, transfer_id="tr_1", idempotency_key=rem_id))
    return rem_id


def test_a_failed_payout_is_watched_until_refunded(worker_service: WorkerService,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rem_id = _remittance(worker_service)
    monkeypatch.setattr(worker_service.runtime, "peers", Peers(["failed", "refunded"]))
    with pytest.raises(StillPending, match="still failed"):
        worker_service._job_remit_poll({"remittance_id": rem_id})
    assert worker_service.remittance(rem_id)["status"] == "failed"  # shown, not final
    assert worker_service._job_remit_poll({"remittance_id": rem_id}) == {"status": "refunded"}
    assert worker_service.remittance(rem_id)["status"] == "refunded"


def test_the_worker_finishes_exactly_on_the_state_machines_terminal_states() -> None:
    from zkredit.agents.worker.service import TERMINAL

    assert set(TERMINAL) == {s.value for s in TERMINAL_STATES}


def test_a_pending_transfer_is_looked_at_again_within_seconds_however_long_it_takes() -> None:
    """The chaos drill's flow 7 (seed 1): the transfer was refunded at the provider while
    the worker's poll, after seven looks, had backed off for minutes and still said
    ``quoted``. A look that finds the transfer unfinished now waits at most 10 s."""
    from dataclasses import replace

    from zkredit.agents.common.runtime import utcnow
    from zkredit.jobs.api import JobSpec
    from zkredit.jobs.backoff import BackoffPolicy
    from zkredit.jobs.machine import Failed, JobMachine
    from zkredit.jobs.runner import run_attempt
    from zkredit.jobs.store import MemoryJobStore

    def look(payload: dict[str, Any]) -> None:
        raise StillPending("transfer t1 is still sent; will check again")

    machine = JobMachine(MemoryJobStore(), lease_s=30, policy=BackoffPolicy(jitter=0.0),
                         clock=utcnow)
    record, _ = machine.create("worker.remit.poll", {}, dedup_key=None, max_attempts=50)
    record = replace(record, attempts=12)  # long after the first look
    outcome = run_attempt(JobSpec("worker.remit.poll", look), record)
    assert isinstance(outcome, Failed) and outcome.retry_after_s == 10.0
    assert BackoffPolicy(jitter=0.0).delay(12) == 300.0  # what it waited before
