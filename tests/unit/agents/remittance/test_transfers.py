"""Remittances end to end at the service level: real proofs, real databases, real receiver."""

from __future__ import annotations

import pytest
from eth_account import Account

from tests.unit.agents.remittance.conftest import System
from tests.unit.agents.remittance.support import ANA, MARIA_INCOME_MINOR, mutated
from zkredit.agents.receiver.schemas import PayoutLookup
from zkredit.agents.receiver.travel_rule import seal
from zkredit.agents.remittance.errors import IdempotencyConflict, QuoteAlreadyUsed
from zkredit.agents.remittance.schemas import ReviewDecision
from zkredit.demo.privacy import leaked
from zkredit.domain.fees import Route
from zkredit.domain.ledger import cash, customer_funds, fee_revenue, payout_due
from zkredit.domain.money import currency
from zkredit.store.ledger import Ledger

pytestmark = pytest.mark.slow


def books(system: System) -> Ledger:
    return Ledger(system.remittance.runtime.db)


def test_scenario1_maria_sends_php_15000_to_juan(system: System) -> None:
    quote = system.scenario1_quote()
    q = quote.quote
    assert q.received.amount_minor == 1_500_000 and q.received.currency == "PHP"
    assert q.sent.currency == "SGD" and q.total_cost_bps < 300
    assert q.fee.total.amount_minor == q.fee.flat.amount_minor + q.fee.percentage.amount_minor
    wallet = Account.create().address
    reply = system.remittance.remittance.request_transfer(
        system.transfer_payload(quote, wallet=wallet), "key-1", "worker"
    )
    assert reply.state == "quoted"

    final = system.wait(reply.transfer_id)

    assert final.state == "completed", final.reasons
    assert [h.state for h in final.history] == [
        "quoted",
        "funded",
        "compliance_passed",
        "sent",
        "paid_out",
        "completed",
    ]
    receipt = final.receipt
    assert receipt is not None
    assert receipt["transfer_id"] == reply.transfer_id
    assert receipt["sent"] == q.sent.model_dump() and receipt["received"] == q.received.model_dump()
    assert receipt["fee"]["total"] == q.fee.total.model_dump()
    assert receipt["total_cost_bps"] == q.total_cost_bps < 300
    assert receipt["rate"]["customer"] == q.customer_rate and receipt["eta_seconds"] == 3600
    assert receipt["payout"]["confirmation"].startswith("SBX-BANK-")
    assert receipt["recipient"]["account"] == "******7890"
    assert set(receipt["timestamps"]) >= {"quoted_at", "funded_at", "paid_out_at", "completed_at"}
    assert receipt["ledger_entries"] == [
        f"{reply.transfer_id}:{step}" for step in ("fund", "fee", "fx", "payout")
    ]
    assert receipt["audit_head"].startswith("0x") and receipt["onchain"] is None
    ledger = books(system)
    sgd, php = currency("SGD"), currency("PHP")
    assert ledger.trial_balance().balanced
    assert ledger.balance(customer_funds(sgd), sgd).minor == 0
    assert ledger.balance(payout_due(php), php).minor == 0
    assert -ledger.balance(fee_revenue(sgd), sgd).minor == q.fee.total.amount_minor
    assert system.remittance.runtime.audit.verify().ok
    # The receiver paid exactly the quoted amount, once.
    payout = system.receiver.receiver.payout_status(PayoutLookup(transfer_id=reply.transfer_id))
    assert payout.status == "paid_out" and payout.payout_id == receipt["payout"]["payout_id"]
    # Neither party ever saw Maria's income, birth date or secret.
    for runtime in system.runtimes:
        assert leaked(runtime.db.dump_tables(), [str(MARIA_INCOME_MINOR), "19900602"]) == []


def test_same_key_replays_and_a_different_body_conflicts(system: System) -> None:
    quote = system.scenario1_quote()
    wallet = Account.create().address
    payload = system.transfer_payload(quote, wallet=wallet)
    service = system.remittance.remittance

    first = service.request_transfer(payload, "key-1", "worker")
    again = service.request_transfer(payload, "key-1", "worker")
    assert again == first
    with pytest.raises(IdempotencyConflict):
        service.request_transfer({**payload, "purpose": "gift"}, "key-1", "worker")
    # A new key for the same quote is a second transfer of one quote: refused.
    with pytest.raises(QuoteAlreadyUsed):
        service.request_transfer(payload, "key-2", "worker")
    assert system.wait(first.transfer_id).state == "completed"
    assert system.payouts.calls == 1


def test_the_rolling_24_hour_limit_sums_across_transfers(system: System) -> None:
    wallet = Account.create().address
    service = system.remittance.remittance

    def send(sgd_minor: int, key: str) -> str:
        quote = system.quote(
            send_currency="SGD",
            receive_currency="PHP",
            route=Route.BANK_TRANSFER,
            send_amount_minor=sgd_minor,
        )
        payload = system.transfer_payload(quote, wallet=wallet)
        return service.request_transfer(payload, key, "worker").transfer_id

    first = send(80_000, "k1")  # SGD 800 = USD 617.76: within the basic 1,000 a day
    assert system.wait(first).state == "completed"
    second = send(60_000, "k2")  # SGD 600 more: USD 1,081.08 in 24 hours

    refused = system.wait(second)

    assert refused.state == "refunded"
    assert any("24-hour limit USD 1,000.00" in r and "exceeds" in r for r in refused.reasons)
    assert "compliance_passed" not in [h.state for h in refused.history]
    assert books(system).trial_balance().balanced


def test_the_limits_hold_for_one_person_across_three_wallets(system: System) -> None:
    """Review F24 / F-1: limits were summed per wallet, which the prover chooses, so a
    new wallet bypassed them. They are summed per pseudonym: the identity proof's
    nullifier under the provider's scope, the same whatever wallet proves it."""
    service = system.remittance.remittance

    def send(sgd_minor: int, key: str) -> str:
        quote = system.quote(send_currency="SGD", receive_currency="PHP",
                             route=Route.BANK_TRANSFER, send_amount_minor=sgd_minor)
        payload = system.transfer_payload(quote, wallet=Account.create().address)
        return service.request_transfer(payload, key, "worker").transfer_id

    assert system.wait(send(50_000, "w1")).state == "completed"  # USD 386.10
    assert system.wait(send(50_000, "w2")).state == "completed"  # USD 772.20 in 24 h
    refused = system.wait(send(50_000, "w3"))  # a third wallet: USD 1,158.30

    assert refused.state == "refunded"
    assert any("24-hour limit USD 1,000.00" in r and "exceeds" in r for r in refused.reasons)


def test_an_identity_proof_funds_one_transfer_only(system: System) -> None:
    """The scope is the provider's, so one proof would verify for any quote of the same
    wallet and day; its digest is spent by the first transfer."""
    wallet = Account.create().address
    service = system.remittance.remittance
    first_quote = system.scenario1_quote()
    payload = system.transfer_payload(first_quote, wallet=wallet)
    assert system.wait(service.request_transfer(payload, "p1", "worker").transfer_id
                       ).state == "completed"  # fmt: skip
    second_quote = system.scenario1_quote()
    replay = {**payload, "quote_id": second_quote.quote_id}

    refused = system.wait(service.request_transfer(replay, "p2", "worker").transfer_id)

    assert refused.state == "refunded"
    assert any("already used for another transfer" in r for r in refused.reasons)


def test_a_near_match_of_a_sanctioned_name_is_held_not_sent(system: System) -> None:
    quote = system.scenario1_quote()
    wallet = Account.create().address
    payload = system.transfer_payload(quote, wallet=wallet)
    payload["recipient"]["name"] = "Viktor Dragunoff"
    reply = system.remittance.remittance.request_transfer(payload, "k", "worker")

    held = system.wait(reply.transfer_id)

    assert held.state == "held"
    assert any("near match" in r and "SMPL-0001" in r for r in held.reasons)
    assert system.payouts.calls == 0
    # A compliance officer rejects it: the sender gets principal and fee back.
    system.remittance.remittance.review(
        reply.transfer_id, ReviewDecision(decision="reject", reviewer="officer-7", note="match")
    )
    assert system.wait(reply.transfer_id, ("refunded",)).state == "refunded"
    sgd = currency("SGD")
    assert books(system).balance(cash(sgd), sgd).minor == 0
    assert system.payouts.calls == 0


def test_a_failed_payout_is_refunded_and_the_books_balance(system: System) -> None:
    quote = system.scenario1_quote()
    payload = system.transfer_payload(quote, wallet=Account.create().address)
    payload["recipient"]["account"] = "0000000000"  # the sandbox rail reports it closed
    reply = system.remittance.remittance.request_transfer(payload, "k", "worker")

    final = system.wait(reply.transfer_id)

    assert final.state == "refunded"
    assert [h.state for h in final.history][-3:] == ["sent", "failed", "refunded"]
    assert any("account closed" in r for r in final.reasons)
    ledger = books(system)
    sgd, php = currency("SGD"), currency("PHP")
    assert ledger.trial_balance().balanced
    assert ledger.balance(customer_funds(sgd), sgd).minor == 0
    assert ledger.balance(payout_due(php), php).minor == 0
    # The principal went back; the provider keeps the fee it earned.
    assert ledger.balance(cash(sgd), sgd).minor == quote.quote.fee.total.amount_minor
    assert final.receipt is None


def test_a_proof_with_a_mutated_public_signal_is_refused(system: System) -> None:
    quote = system.scenario1_quote()
    wallet = Account.create().address
    payload = system.transfer_payload(quote, wallet=wallet)
    payload["identity_proof"] = mutated(payload["identity_proof"], 1)  # claim another KYC level
    reply = system.remittance.remittance.request_transfer(payload, "k", "worker")

    final = system.wait(reply.transfer_id)

    assert final.state == "refunded"
    assert any("does not verify" in r for r in final.reasons)
    assert system.payouts.calls == 0
    assert books(system).trial_balance().balanced


def test_travel_rule_data_is_required_above_1000_usd(system: System) -> None:
    wallet = Account.create().address
    service = system.remittance.remittance
    request = dict(
        send_currency="SGD",
        receive_currency="PHP",
        route=Route.BANK_TRANSFER,
        send_amount_minor=150_000,  # SGD 1,500 = USD 1,158.30
    )
    bare = system.quote(**request)
    without = service.request_transfer(
        system.transfer_payload(bare, sender=ANA.name, wallet=wallet), "k1", "worker"
    )
    refused = system.wait(without.transfer_id)
    assert refused.state == "refunded"
    assert any("travel-rule data is required above USD 1,000.00" in r for r in refused.reasons)

    sealed = seal(
        {
            "originator": {"name": ANA.name, "wallet": wallet, "country": "SG"},
            "beneficiary": {"name": "Juan Rodriguez", "account": "1234567890"},
        },
        system.receiver.travel_key.public_hex,
    )
    quote = system.quote(**request)
    with_rule = service.request_transfer(
        system.transfer_payload(
            quote,
            sender=ANA.name,
            wallet=wallet,
            travel_rule={"ciphertext": sealed, "encrypted_to": "receiver"},
        ),
        "k2",
        "worker",
    )
    assert system.wait(with_rule.transfer_id).state == "completed"
    # Stored encrypted by both parties; only the receiver could open it.
    assert ANA.name not in repr(system.remittance.runtime.db.dump_tables())
    assert ANA.name not in repr(system.receiver.runtime.db.dump_tables())
