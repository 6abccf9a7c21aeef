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
