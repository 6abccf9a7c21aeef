"""Quotes, request validation, expiry, disbursements and webhooks (no proving)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import update

from tests.unit.agents.remittance.conftest import System
from tests.unit.agents.remittance.support import WebhookSink, well_formed_proof
from zkredit.agents.remittance.errors import (
    IdempotencyConflict,
    MissingIdempotencyKey,
    SenderNotAllowed,
    UnknownQuote,
    UnknownTransfer,
)
from zkredit.agents.remittance.models import TransferRow
from zkredit.agents.remittance.schemas import InvalidPayload, QuoteRequest, WebhookIn
from zkredit.agents.remittance.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    verify_signature,
)
from zkredit.domain.fees import Route
from zkredit.errors import InputError
from zkredit.store.ledger import Ledger
from zkredit.store.models import IdempotencyRow

SAMUEL_PAYOUT: dict[str, Any] = {
    "loan_id": "loan-1",
    "amount": {"amount_minor": 250_000_000, "currency": "NGN"},
    "recipient": {
        "name": "Samuel Adewale",
        "account": "0123456789",
        "bank": "Zenith Bank",
        "country": "NG",
    },
    "route": "bank_transfer",
}


def transfer_payload(quote_id: str) -> dict[str, object]:
    return {
        "quote_id": quote_id,
        "identity_proof": well_formed_proof(),
        "sender_wallet": Account.create().address,
        "recipient": {
            "name": "Juan Rodriguez",
            "account": "1234567890",
            "bank": "Banco de Oro",
            "country": "PH",
        },
        "purpose": "education",
    }


def test_every_quote_carries_the_scope_derived_from_the_provider(system: System) -> None:
    """Review F-1: the scope is the provider's, never fresh per quote, so the identity
    proof's nullifier is the sender's one pseudonym with this provider."""
    a, b = system.scenario1_quote(), system.scenario1_quote()
    assert a.scope == b.scope and a.quote_id != b.quote_id
    assert int(a.scope) == system.remittance.remittance.proof_scope
    assert 0 < int(a.scope) < 1 << 248
    q = a.quote
    assert (q.expires_at - q.created_at).total_seconds() == 60
    assert q.markup_bps == 50 and q.eta_seconds == 3600 and q.route is Route.BANK_TRANSFER


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"send_amount_minor": 100, "receive_amount_minor": 100}, "exactly one"),
        ({}, "exactly one"),
        ({"send_amount_minor": 0}, "greater than 0"),
    ],
)
def test_a_quote_needs_exactly_one_positive_amount(request_: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QuoteRequest(
            send_currency="SGD", receive_currency="PHP", route=Route.BANK_TRANSFER, **request_
        )


def test_an_unknown_corridor_is_a_bad_request_with_a_suggestion(system: System) -> None:
    with pytest.raises(InputError, match="no corridor SGD->MXN"):
        system.quote(
            send_currency="SGD",
            receive_currency="MXN",
            route=Route.BANK_TRANSFER,
            send_amount_minor=10_000,
        )


def test_a_transfer_request_needs_an_idempotency_key(system: System) -> None:
    quote = system.scenario1_quote()
    with pytest.raises(MissingIdempotencyKey):
        system.remittance.remittance.request_transfer(transfer_payload(quote.quote_id), None, "w")


def test_a_malformed_request_is_refused_before_anything_is_stored(system: System) -> None:
    service = system.remittance.remittance
    quote = system.scenario1_quote()
    with pytest.raises(InvalidPayload, match="sender_wallet"):
        service.request_transfer(
            {**transfer_payload(quote.quote_id), "sender_wallet": "0x12"}, "k", "worker"
        )
    with pytest.raises(InputError, match="public signals"):
        service.request_transfer(
            {**transfer_payload(quote.quote_id), "identity_proof": {"proof": {}, "public": []}},
            "k",
            "worker",
        )
    with pytest.raises(UnknownQuote):
        service.request_transfer(transfer_payload("qt_nope"), "k", "worker")
    # Each refusal released the key: the corrected request goes through under it.
    assert service.request_transfer(transfer_payload(quote.quote_id), "k", "worker").transfer_id


def test_a_transfer_on_an_expired_quote_expires(system: System) -> None:
    quote = system.scenario1_quote()
    system.clock.advance(60)  # the lock covers [created, created + 60 s)
    reply = system.remittance.remittance.request_transfer(
        transfer_payload(quote.quote_id), "k", "worker"
    )
    assert reply.state == "expired"
    status = system.remittance.remittance.status(reply.transfer_id)
    assert "expired" in status.reasons[0] and Ledger(system.remittance.runtime.db).balances() == {}


def test_a_loan_disbursement_runs_to_completion_once_per_loan(system: System) -> None:
    service = system.remittance.remittance
    reply = service.disburse(SAMUEL_PAYOUT, "credit")
    assert service.disburse(SAMUEL_PAYOUT, "credit").transfer_id == reply.transfer_id

    final = system.wait(reply.transfer_id)

    assert final.state == "completed"
    assert final.sent == final.received and final.sent.currency == "NGN"
    assert final.receipt is not None and final.receipt["rate"] is None
    assert final.receipt["ledger_entries"] == [
        f"{reply.transfer_id}:fund",
        f"{reply.transfer_id}:transfer",
        f"{reply.transfer_id}:payout",
    ]
    assert Ledger(system.remittance.runtime.db).trial_balance().balanced
    with pytest.raises(IdempotencyConflict):
        service.disburse({**SAMUEL_PAYOUT, "route": "mobile_money"}, "credit")


def test_only_the_lender_may_disburse(system: System) -> None:
    with pytest.raises(SenderNotAllowed):
        system.remittance.remittance.disburse(SAMUEL_PAYOUT, "worker")


def test_a_disbursement_to_a_blocked_name_fails_and_is_refunded(system: System) -> None:
    payload = {
        **SAMUEL_PAYOUT,
        "loan_id": "loan-2",
        "recipient": {**SAMUEL_PAYOUT["recipient"], "name": "Goran Petrovic Lenz"},
    }
    final = system.wait(system.remittance.remittance.disburse(payload, "credit").transfer_id)
    assert final.state == "refunded" and "SMPL-0004" in final.reasons[0]
    assert system.payouts.calls == 0


def test_unknown_transfer(system: System) -> None:
    with pytest.raises(UnknownTransfer):
        system.remittance.remittance.status("tr_missing")


def test_webhooks_are_signed_and_retried(system: System) -> None:
    sink = WebhookSink(fail_first=1)
    secret = "s3cret-for-webhooks"
    try:
        system.remittance.webhooks.register(WebhookIn(url=sink.url, secret=secret), "worker")
        reply = system.remittance.remittance.disburse(SAMUEL_PAYOUT, "credit")
        assert system.wait(reply.transfer_id).state == "completed"
        deliveries = sink.wait_for(6)  # quoted ... completed, the first one after a 503
    finally:
        sink.close()
    states = []
    for headers, body in deliveries:
        assert verify_signature(secret, body, headers[SIGNATURE_HEADER])
        assert not verify_signature("another-secret-value", body, headers[SIGNATURE_HEADER])
        event = json.loads(body)
        assert headers[TIMESTAMP_HEADER].isdigit() and event["transfer_id"] == reply.transfer_id
        states.append(event["state"])
    assert sorted(states) == sorted(
        ["quoted", "funded", "compliance_passed", "sent", "paid_out", "completed"]
    )


def test_the_signature_is_hmac_sha256_of_the_raw_body() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_a_crash_before_the_reply_was_stored_still_replays_the_transfer(system: System) -> None:
    service = system.remittance.remittance
    payload = transfer_payload(system.scenario1_quote().quote_id)
    first = service.request_transfer(payload, "k", "worker")
    with system.remittance.runtime.db.session() as s:  # as if the process died before complete()
        s.execute(
            update(IdempotencyRow).values(status_code=None, response_body=None, completed_at=None)
        )
    again = service.request_transfer(payload, "k", "worker")
    assert again.transfer_id == first.transfer_id
    with pytest.raises(IdempotencyConflict):
        service.request_transfer({**payload, "purpose": "rent"}, "k", "worker")


def test_start_up_resumes_a_transfer_left_between_two_steps(system: System) -> None:
    service = system.remittance.remittance
    reply = service.disburse({**SAMUEL_PAYOUT, "loan_id": "loan-9"}, "credit")
    assert system.wait(reply.transfer_id).state == "completed"
    # A transfer committed by a process that died before scheduling its first step:
    with system.remittance.runtime.db.session(lock="test") as s:
        row = s.get(TransferRow, reply.transfer_id)
        assert row is not None
        s.add(
            TransferRow(
                **{
                    **{c.key: getattr(row, c.key) for c in TransferRow.__table__.columns},
                    "id": "tr_orphan",
                    "loan_id": "loan-orphan",
                    "state": "quoted",
                    "funded_at": None,
                    "receipt": None,
                    "payout_id": None,
                    "payout_confirmation": None,
                    "payin_reference": None,
                }
            )
        )
    assert system.remittance.pipeline.resume() == 1
    assert system.wait("tr_orphan").state == "completed"


def test_a_webhook_name_rebound_to_loopback_after_its_checks_gets_no_delivery(
    system: System,
) -> None:
    """Issue 9: delivery checked the name, then httpx resolved it again to connect, so a
    name re-pointed at 127.0.0.1 in between was delivered to (DNS rebinding)."""
    from sqlalchemy import select

    from tests.unit.agents.common.test_egress import Rebinding
    from zkredit.agents.common.egress import EgressPolicy, EgressRefused
    from zkredit.agents.remittance.models import TransferEventRow
    from zkredit.agents.remittance.webhooks import WebhookService

    rebinding = Rebinding(public_answers=2)  # the registration check, the delivery check
    hooks = WebhookService(system.remittance.runtime, system.remittance.metrics,
                           egress=EgressPolicy(public_only=True, resolve=rebinding))
    try:
        hook = hooks.register(WebhookIn(url="https://rebind.example/hook",
                                        secret="s3cret-for-webhooks"), "worker")
        reply = system.remittance.remittance.disburse(SAMUEL_PAYOUT, "credit")
        assert system.wait(reply.transfer_id).state == "completed"
        with system.remittance.runtime.db.session() as s:
            event_id = s.scalars(select(TransferEventRow.id).where(
                TransferEventRow.transfer_id == reply.transfer_id)).first()
        with pytest.raises(EgressRefused, match=r"resolves to 127\.0\.0\.1"):
            hooks.deliver({"webhook_id": hook.id, "event_id": event_id})
    finally:
        hooks.close()
    assert rebinding.lookups == 3  # the connect used the checked lookup, not its own
