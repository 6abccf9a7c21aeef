"""F13b: a dispute refund is passed on to the payer in ``remittance.dispute.refunded``,
retried until the payer records it, and resumed after a crash."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.unit.agents.receiver.test_payouts import request
from zkredit.agents.common.messaging import PeerError
from zkredit.agents.receiver.schemas import DisputeOpen, DisputeResolve
from zkredit.agents.receiver.service import ReceiverServices


@dataclass
class Payer:
    """The remittance agent: refuses the first ``refuse`` notices with 409 (not paid out
    there yet), then records them."""

    refuse: int = 0
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def send(self, recipient: str, message_type: str, payload: Any, **_: Any) -> dict[str, Any]:
        self.sent.append((recipient, message_type, dict(payload)))
        if self.refuse > 0:
            self.refuse -= 1
            raise PeerError("remittance", 409, "transfer tr_1 is sent here, not paid out yet")
        return {"transfer_id": payload["transfer_id"], "state": "refunded"}

    def close(self) -> None:
        return None


def until(what: str, check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_refunded_dispute_is_passed_on_until_the_payer_records_it(
    receiver: ReceiverServices,
) -> None:
    service, runtime = receiver.receiver, receiver.runtime
    payer = Payer(refuse=1)
    runtime.peers.close()
    runtime.peers = payer  # type: ignore[assignment]
    runtime.jobs.start()
    payout = service.payout(request(), "remittance")
    dispute = service.open_dispute(DisputeOpen(transfer_id="tr_1", reason="not received"), "ops")

    service.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="refunded", by="ops"))

    until("the payer to record the refund", lambda: len(payer.sent) == 2)
    notice = {"transfer_id": "tr_1", "payout_id": payout.payout_id,
              "dispute_id": dispute.dispute_id,
              "amount": {"amount_minor": 1_500_000, "currency": "PHP"},
              "reason": "not received"}
    assert payer.sent == [("remittance", "remittance.dispute.refunded", notice)] * 2
    assert service.resume() == 1  # delivered: resuming sends nothing more
    time.sleep(0.3)
    assert len(payer.sent) == 2


def test_a_resolved_dispute_tells_nobody(receiver: ReceiverServices) -> None:
    service, runtime = receiver.receiver, receiver.runtime
    payer = Payer()
    runtime.peers.close()
    runtime.peers = payer  # type: ignore[assignment]
    runtime.jobs.start()
    service.payout(request(), "remittance")
    dispute = service.open_dispute(DisputeOpen(transfer_id="tr_1", reason="late"), "ops")
    service.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="resolved", by="ops"))
    assert service.resume() == 0
    time.sleep(0.3)
    assert payer.sent == []


def test_a_refund_notice_lost_in_a_crash_is_sent_on_resume(receiver: ReceiverServices) -> None:
    """The refund commits before its notice job is enqueued: resume() finds it."""
    service, runtime = receiver.receiver, receiver.runtime
    payer = Payer()
    runtime.peers.close()
    runtime.peers = payer  # type: ignore[assignment]
    service.payout(request(), "remittance")
    dispute = service.open_dispute(DisputeOpen(transfer_id="tr_1", reason="x"), "ops")
    service._notify_later = lambda dispute_id: None  # type: ignore[method-assign]
    service.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="refunded", by="ops"))
    del service._notify_later  # the process died before the job; a new one starts
    runtime.jobs.start()

    assert service.resume() == 1

    until("the notice", lambda: len(payer.sent) == 1)
    assert payer.sent[0][2]["dispute_id"] == dispute.dispute_id
