"""F13b: a dispute the receiver refunds reaches the remittance agent and the requester.

The receiver upholds a dispute on a paid-out payout and tells the remittance agent
(``remittance.dispute.refunded``, retried until recorded). The transfer goes
``completed -refund_after_dispute-> refunded`` with the balanced reversal of what its
delivery booked, and the requester is told: the lender for a loan disbursement, the
sender's worker for a remittance.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account import Account

from tests.unit.agents.remittance.conftest import System
from tests.unit.agents.remittance.test_requests import SAMUEL_PAYOUT
from zkredit.agents.common.messaging import PeerError
from zkredit.agents.receiver.schemas import DisputeOpen, DisputeResolve
from zkredit.agents.remittance.errors import RefundNotApplicable, SenderNotAllowed
from zkredit.domain.ledger import cash, customer_funds, fee_revenue, payout_due, payout_float
from zkredit.domain.money import currency
from zkredit.errors import ZKreditError
from zkredit.ops.reconcile import check_flows
from zkredit.store.ledger import Ledger

NGN, SGD, PHP = currency("NGN"), currency("SGD"), currency("PHP")


@dataclass
class ToRemittance:
    """The receiver's peers: its envelopes handled by the remittance agent in-process."""

    system: System
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, recipient: str, message_type: str, payload: Any, **_: Any) -> dict[str, Any]:
        assert (recipient, message_type) == ("remittance", "remittance.dispute.refunded")
        self.sent.append(dict(payload))
        try:
            return self.system.remittance.disputes.refunded(payload, "receiver")
        except ZKreditError as exc:
            raise PeerError("remittance", int(getattr(exc, "http_status", 500)),
                            exc.message) from exc

    def close(self) -> None:
        return None


@dataclass
class Requesters:
    """The remittance agent's peers: the lender and the worker, taking its notices."""

    told: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def send(self, recipient: str, message_type: str, payload: Any, **_: Any) -> dict[str, Any]:
        self.told.append((recipient, message_type, dict(payload)))
        return {"ok": True}

    def close(self) -> None:
        return None


@pytest.fixture
def wired(system: System) -> tuple[System, ToRemittance, Requesters]:
    remittance_rt, receiver_rt = system.runtimes
    to_remittance, requesters = ToRemittance(system), Requesters()
    receiver_rt.peers.close()
    receiver_rt.peers = to_remittance  # type: ignore[assignment]
    remittance_rt.peers.close()
    remittance_rt.peers = requesters  # type: ignore[assignment]
    return system, to_remittance, requesters


def eventually(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def refund_by_dispute(system: System, transfer_id: str) -> str:
    receiver = system.receiver.receiver
    dispute = receiver.open_dispute(DisputeOpen(transfer_id=transfer_id, reason="not received"),
                                    "ops")
    receiver.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="refunded", by="ops"))
    return dispute.dispute_id


def test_a_disputed_disbursement_is_refunded_and_the_lender_told(
    wired: tuple[System, ToRemittance, Requesters],
) -> None:
    system, to_remittance, requesters = wired
    service = system.remittance.remittance
    transfer_id = service.disburse(SAMUEL_PAYOUT, "credit").transfer_id
    assert system.wait(transfer_id).state == "completed"

    dispute_id = refund_by_dispute(system, transfer_id)

    final = system.wait(transfer_id, ("refunded",))
    assert [h.state for h in final.history][-2:] == ["completed", "refunded"]
    assert final.history[-1].event == "refund_after_dispute"
    assert any(dispute_id in r for r in final.reasons)
    assert service.disbursement_status("loan-1", "credit").state == "refunded"
    ledger = Ledger(system.remittance.runtime.db)
    assert ledger.trial_balance().balanced
    # The payout came back to the float and the principal went back to the lender.
    assert {ledger.balance(a, NGN).minor for a in (payout_float(NGN), payout_due(NGN),
                                                   customer_funds(NGN), cash(NGN))} == {0}
    eventually("the lender to be told", lambda: bool(requesters.told))
    assert requesters.told == [("credit", "credit.disbursement.refunded",
                                {"loan_id": "loan-1", "transfer_id": transfer_id})]

    # A repeated notice (at-least-once) books nothing more.
    again = system.remittance.disputes.refunded(to_remittance.sent[-1], "receiver")
    assert again == {"transfer_id": transfer_id, "state": "refunded"}
    assert ledger.trial_balance().balanced
    entries = [e for e in system.remittance.remittance.status(transfer_id).history
               if e.event == "refund_after_dispute"]
    assert len(entries) == 1
    assert {ledger.balance(a, NGN).minor for a in (payout_float(NGN), cash(NGN))} == {0}


def test_a_disputed_remittance_is_refunded_and_the_sender_told(
    wired: tuple[System, ToRemittance, Requesters],
) -> None:
    system, _, requesters = wired
    quote = system.scenario1_quote()
    reply = system.remittance.remittance.request_transfer(
        system.transfer_payload(quote, wallet=Account.create().address), "key-1", "worker")
    assert system.wait(reply.transfer_id).state == "completed"

    refund_by_dispute(system, reply.transfer_id)

    system.wait(reply.transfer_id, ("refunded",))
    ledger = Ledger(system.remittance.runtime.db)
    assert ledger.trial_balance().balanced
    assert ledger.balance(payout_float(PHP), PHP).minor == 0
    assert ledger.balance(payout_due(PHP), PHP).minor == 0
    assert ledger.balance(customer_funds(SGD), SGD).minor == 0
    fee = quote.quote.fee.total.amount_minor
    assert -ledger.balance(fee_revenue(SGD), SGD).minor == fee  # the fee stays earned
    assert ledger.balance(cash(SGD), SGD).minor == fee  # the principal went back
    # Across the two agents: the payout the receiver took back counts as refunded.
    flows, differences = check_flows(system.remittance.runtime.db, system.receiver.runtime.db)
    assert differences == [] and flows["paid_out_payouts"] == 0
    eventually("the sender's worker to be told", lambda: bool(requesters.told))
    assert requesters.told == [("worker", "worker.remittance.refunded",
                                {"transfer_id": reply.transfer_id})]


def test_a_notice_that_does_not_fit_the_transfer_is_refused(
    wired: tuple[System, ToRemittance, Requesters],
) -> None:
    system, _, requesters = wired
    disputes = system.remittance.disputes
    transfer_id = system.remittance.remittance.disburse(SAMUEL_PAYOUT, "credit").transfer_id
    final = system.wait(transfer_id)
    payout_id = final.receipt["payout"]["payout_id"] if final.receipt else None
    notice = {"transfer_id": transfer_id, "payout_id": payout_id, "dispute_id": "dp_1",
              "amount": SAMUEL_PAYOUT["amount"], "reason": "not received"}

    with pytest.raises(SenderNotAllowed):
        disputes.refunded(notice, "worker")
    with pytest.raises(RefundNotApplicable, match="paid out"):
        disputes.refunded({**notice, "amount": {"amount_minor": 1, "currency": "NGN"}},
                          "receiver")
    with pytest.raises(RefundNotApplicable, match="not po_other"):
        disputes.refunded({**notice, "payout_id": "po_other"}, "receiver")
    assert system.remittance.remittance.status(transfer_id).state == "completed"

    # A transfer refunded after a failed payout has no payout to dispute.
    failed = system.remittance.remittance.disburse(
        {**SAMUEL_PAYOUT, "loan_id": "loan-2",
         "recipient": {**SAMUEL_PAYOUT["recipient"], "account": "0000111122"}}, "credit")
    assert system.wait(failed.transfer_id).state == "refunded"
    with pytest.raises(RefundNotApplicable, match="failed payout"):
        disputes.refunded({**notice, "transfer_id": failed.transfer_id, "payout_id": "po_x"},
                          "receiver")
    assert requesters.told == []


def test_a_notice_before_the_payout_is_recorded_here_is_retried(
    wired: tuple[System, ToRemittance, Requesters],
) -> None:
    """The receiver's notice may overtake the pipeline (its payout answer was lost): 409,
    and the receiver's job retries until the transfer is delivered here."""
    system, _, _ = wired
    disputes = system.remittance.disputes
    transfer_id = system.remittance.remittance.disburse(
        {**SAMUEL_PAYOUT, "loan_id": "loan-3"}, "credit").transfer_id
    with pytest.raises(RefundNotApplicable, match="not paid out yet"):
        disputes.refunded({"transfer_id": transfer_id, "payout_id": "po_1",
                           "dispute_id": "dp_1", "amount": SAMUEL_PAYOUT["amount"]},
                          "receiver")
