"""F34: the receiver's payouts and disputes commit with their audit entries."""

from __future__ import annotations

import pytest

from tests.unit.agents.audit_crash import SimulatedCrash, audited, crash_on_audit
from tests.unit.agents.receiver.test_payouts import request
from zkredit.agents.receiver.schemas import DisputeOpen, DisputeResolve, PayoutLookup
from zkredit.agents.receiver.service import ReceiverServices, dispute_losses
from zkredit.domain.money import currency
from zkredit.store.ledger import Ledger

PHP = currency("PHP")


def test_a_crash_while_auditing_a_payout_leaves_it_pending_and_the_retry_audits_it(
    receiver: ReceiverServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = receiver.receiver
    with crash_on_audit(monkeypatch, "receiver.payout.paid_out"), pytest.raises(SimulatedCrash):
        service.payout(request(), "remittance")
    assert service.payout_status(PayoutLookup(transfer_id="tr_1")).status == "pending"
    assert Ledger(receiver.runtime.db).entries_for("tr_1") == []

    paid = service.payout(request(), "remittance")  # the remittance agent's retry

    assert paid.status == "paid_out"
    assert [e["payout_id"] for e in audited(receiver.runtime.audit, "receiver.payout.paid_out")] \
        == [paid.payout_id]


def test_a_crash_while_auditing_a_dispute_refund_books_nothing(
    receiver: ReceiverServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = receiver.receiver
    service.payout(request(), "remittance")
    dispute = service.open_dispute(DisputeOpen(transfer_id="tr_1", reason="not received"), "ops")
    with crash_on_audit(monkeypatch, "receiver.dispute.refunded"), pytest.raises(SimulatedCrash):
        service.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="refunded", by="ops"))
    assert service.dispute(dispute.dispute_id).state == "open"
    assert Ledger(receiver.runtime.db).balance(dispute_losses(PHP), PHP).minor == 0

    service.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="refunded", by="ops"))

    assert len(audited(receiver.runtime.audit, "receiver.dispute.refunded")) == 1
    assert receiver.runtime.audit.verify().ok
