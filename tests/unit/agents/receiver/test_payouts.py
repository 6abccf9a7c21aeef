"""Payouts (idempotent by transfer id) and disputes, on a real database."""

from __future__ import annotations

from typing import Any

import pytest

from zkredit.agents.receiver.errors import (
    DisputeNotAllowed,
    PayoutConflict,
    SenderNotAllowed,
    UnknownPayout,
)
from zkredit.agents.receiver.schemas import DisputeOpen, DisputeResolve, PayoutLookup
from zkredit.agents.receiver.service import ReceiverServices, dispute_losses, partner_prefunding
from zkredit.agents.receiver.travel_rule import seal
from zkredit.demo.privacy import leaked
from zkredit.domain.ledger import cash
from zkredit.domain.money import currency
from zkredit.store.ledger import Ledger

PHP = currency("PHP")


def request(transfer_id: str = "tr_1", **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "transfer_id": transfer_id,
        "amount": {"amount_minor": 1_500_000, "currency": "PHP"},
        "recipient": {
            "name": "Juan Rodriguez",
            "account": "1234567890",
            "bank": "Banco de Oro",
            "country": "PH",
        },
        "route": "bank_transfer",
        "purpose": "education",
    }
    payload.update(changes)
    return payload


def test_a_payout_is_made_once_and_booked(receiver: ReceiverServices) -> None:
    service = receiver.receiver
    first = service.payout(request(), "remittance")
    assert first.status == "paid_out" and first.confirmation and first.paid_at is not None
    assert service.payout(request(), "remittance") == first
    with pytest.raises(PayoutConflict):
        service.payout(request(amount={"amount_minor": 1, "currency": "PHP"}), "remittance")
    ledger = Ledger(receiver.runtime.db)
    assert ledger.trial_balance().balanced
    assert ledger.balance(cash(PHP), PHP).minor == -1_500_000
    assert ledger.balance(partner_prefunding(PHP), PHP).minor == 1_500_000
    assert service.payout_status(PayoutLookup(transfer_id="tr_1")) == first
    assert receiver.runtime.audit.verify().ok


def test_only_the_remittance_agent_may_ask_for_payouts(receiver: ReceiverServices) -> None:
    with pytest.raises(SenderNotAllowed):
        receiver.receiver.payout(request(), "worker")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {
                "recipient": {
                    "name": "Juan Rodriguez",
                    "account": "1234567890",
                    "bank": "Bank of Nowhere",
                    "country": "PH",
                }
            },
            "unknown bank",
        ),
        (
            {
                "recipient": {
                    "name": "Juan Rodriguez",
                    "account": "0000000000",
                    "bank": "BDO",
                    "country": "PH",
                }
            },
            "account closed",
        ),
        ({"travel_rule": {"ciphertext": "ab" * 80, "encrypted_to": "receiver"}}, "tampered"),
    ],
)
def test_a_payout_that_cannot_be_made_fails_with_a_reason(
    receiver: ReceiverServices, changes: dict[str, Any], reason: str
) -> None:
    reply = receiver.receiver.payout(request(**changes), "remittance")
    assert reply.status == "failed" and reason in (reply.reason or "")
    assert Ledger(receiver.runtime.db).balances() == {}


def test_travel_rule_data_must_name_the_recipient(receiver: ReceiverServices) -> None:
    key = receiver.travel_key.public_hex
    wrong = seal({"originator": {"name": "Maria"}, "beneficiary": {"name": "Pedro"}}, key)
    right = seal({"originator": {"name": "Maria"}, "beneficiary": {"name": "RODRIGUEZ, Juan"}}, key)
    rule = {"encrypted_to": "receiver"}
    refused = receiver.receiver.payout(
        request("tr_a", travel_rule={**rule, "ciphertext": wrong}), "remittance"
    )
    assert refused.status == "failed" and "beneficiary is not the recipient" in (
        refused.reason or ""
    )
    paid = receiver.receiver.payout(
        request("tr_b", travel_rule={**rule, "ciphertext": right}), "remittance"
    )
    assert paid.status == "paid_out"
    assert leaked(receiver.runtime.db.dump_tables(), ["Maria"]) == []  # kept sealed at rest


def test_a_dispute_is_opened_and_refunded(receiver: ReceiverServices) -> None:
    service = receiver.receiver
    payout = service.payout(request(), "remittance")
    dispute = service.open_dispute(DisputeOpen(transfer_id="tr_1", reason="not received"), "ops")
    assert dispute.state == "open" and dispute.payout_id == payout.payout_id
    with pytest.raises(DisputeNotAllowed, match="already has an open dispute"):
        service.open_dispute(DisputeOpen(payout_id=payout.payout_id, reason="again"), "ops")

    done = service.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="refunded", by="ops"))

    assert done.state == "refunded" and service.dispute(dispute.dispute_id) == done
    with pytest.raises(DisputeNotAllowed, match="already refunded"):
        service.resolve_dispute(dispute.dispute_id, DisputeResolve(outcome="resolved"))
    ledger = Ledger(receiver.runtime.db)
    assert ledger.trial_balance().balanced
    assert ledger.balance(dispute_losses(PHP), PHP).minor == 1_500_000
    assert ledger.balance(partner_prefunding(PHP), PHP).minor == 0


def test_only_paid_payouts_can_be_disputed(receiver: ReceiverServices) -> None:
    service = receiver.receiver
    failed = service.payout(
        request(recipient={"name": "Juan", "account": "1", "bank": "BDO", "country": "PH"}),
        "remittance",
    )
    with pytest.raises(DisputeNotAllowed, match="only paid-out payouts"):
        service.open_dispute(DisputeOpen(payout_id=failed.payout_id, reason="x"), "ops")
    with pytest.raises(UnknownPayout):
        service.open_dispute(DisputeOpen(transfer_id="tr_none", reason="x"), "ops")
