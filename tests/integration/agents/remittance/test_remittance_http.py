"""Remittance and receiver agents over HTTP: signed envelopes, payouts, webhooks, errors."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from eth_account import Account
from tests.unit.agents.remittance.support import MARIA, MARIA_INCOME_MINOR, WebhookSink

from zkredit.agents.common.messaging import PeerError
from zkredit.agents.remittance.webhooks import SIGNATURE_HEADER, verify_signature
from zkredit.demo.privacy import leaked

if TYPE_CHECKING:
    from tests.integration.agents.remittance.conftest import Network

SETTLED = ("completed", "refunded", "held", "expired")
JUAN = {"name": "Juan Rodriguez", "account": "1234567890", "bank": "Banco de Oro", "country": "PH"}
SCENARIO1_QUOTE = {
    "send_currency": "SGD",
    "receive_currency": "PHP",
    "route": "bank_transfer",
    "receive_amount_minor": 1_500_000,
}


def wait(network: Network, transfer_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        response = network.http.get(f"{network.urls['remittance']}/transfers/{transfer_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if body["state"] in SETTLED:
            return body
        assert time.monotonic() < deadline, f"stuck in {body['state']}"
        time.sleep(0.05)


def transfer_request(network: Network, quote: dict[str, Any], wallet: str) -> dict[str, Any]:
    proof = network.world.prove(network.prover, MARIA.name, quote["scope"], wallet)
    return {
        "quote_id": quote["quote_id"],
        "identity_proof": proof,
        "sender_wallet": wallet,
        "recipient": JUAN,
        "purpose": "education",
    }


@pytest.mark.slow
def test_scenario1_over_http(network: Network) -> None:
    worker = network.peer("worker")
    quote = worker.send("remittance", "remittance.quote.request", SCENARIO1_QUOTE)
    assert quote["quote"]["total_cost_bps"] < 300
    wallet = Account.create().address
    reply = worker.send(
        "remittance",
        "remittance.transfer.request",
        transfer_request(network, quote, wallet),
        idempotency_key=str(uuid.uuid4()),
    )
    assert set(reply) == {"transfer_id", "state"}

    final = wait(network, reply["transfer_id"])

    assert final["state"] == "completed", final.get("reasons")
    receipt = final["receipt"]
    assert receipt["received"] == {"amount_minor": 1_500_000, "currency": "PHP"}
    assert receipt["total_cost_bps"] == quote["quote"]["total_cost_bps"] < 300
    status = worker.send(
        "remittance", "remittance.transfer.status", {"transfer_id": reply["transfer_id"]}
    )
    assert status["state"] == "completed" and status["receipt"] == receipt
    assert [h["state"] for h in status["history"]][-1] == "completed"
    payout = network.http.get(
        f"{network.urls['receiver']}/payouts/{receipt['payout']['payout_id']}"
    ).json()
    assert payout["status"] == "paid_out"
    assert payout["confirmation"] == receipt["payout"]["confirmation"]
    # The receiver (and the remittance agent) never learn Maria's income.
    for services in (network.remittance, network.receiver):
        raw = [str(MARIA_INCOME_MINOR), "1,047.31", "1047.31", "19900602"]
        assert leaked(services.runtime.db.dump_tables(), raw) == []


@pytest.mark.slow
def test_the_same_idempotency_key_gives_one_transfer(network: Network) -> None:
    worker = network.peer("worker")
    quote = worker.send("remittance", "remittance.quote.request", SCENARIO1_QUOTE)
    body = transfer_request(network, quote, Account.create().address)
    key = str(uuid.uuid4())
    first = worker.send("remittance", "remittance.transfer.request", body, idempotency_key=key)
    again = worker.send("remittance", "remittance.transfer.request", body, idempotency_key=key)
    assert again == first
    with pytest.raises(PeerError) as conflict:
        worker.send(
            "remittance",
            "remittance.transfer.request",
            {**body, "purpose": "medical"},
            idempotency_key=key,
        )
    assert conflict.value.http_status == 409
    assert wait(network, first["transfer_id"])["state"] == "completed"


def test_a_transfer_request_without_an_idempotency_key_is_a_400(network: Network) -> None:
    worker = network.peer("worker")
    with pytest.raises(PeerError) as missing:
        worker.send("remittance", "remittance.transfer.request", {"quote_id": "qt_x"})
    assert missing.value.http_status == 400 and "Idempotency-Key" in str(missing.value)


@pytest.mark.parametrize(
    ("name", "forged"), [("worker", True), ("mallory", False)], ids=["forged", "unknown"]
)
def test_an_unauthenticated_envelope_is_a_401(network: Network, name: str, forged: bool) -> None:
    impostor = network.peer(name, Account.create())
    with pytest.raises(PeerError) as refused:
        impostor.send("remittance", "remittance.quote.request", SCENARIO1_QUOTE)
    assert refused.value.http_status == 401
    assert ("forged" if forged else "unknown sender") in str(refused.value)


def test_only_the_remittance_agent_may_ask_the_receiver_to_pay(network: Network) -> None:
    worker = network.peer("worker")
    with pytest.raises(PeerError) as refused:
        worker.send("receiver", "receiver.payout.request", {"transfer_id": "tr_x"})
    assert refused.value.http_status == 403


def test_a_loan_disbursement_with_signed_webhooks(network: Network) -> None:
    sink = WebhookSink()
    secret = "hooks-secret-0123456789"
    remittance = network.urls["remittance"]
    try:
        loan_id = f"loan-{uuid.uuid4().hex[:8]}"
        credit = network.peer("credit")
        disbursement = {
            "loan_id": loan_id,
            "amount": {"amount_minor": 250_000_000, "currency": "NGN"},
            "recipient": {
                "name": "Samuel Adewale",
                "account": "0123456789",
                "bank": "Zenith Bank",
                "country": "NG",
            },
            "route": "bank_transfer",
        }
        # Subscribe to this transfer only, before it moves: create it, then subscribe...
        # ...is racy, so subscribe to everything and filter by transfer id.
        hook = network.http.post(f"{remittance}/webhooks", json={"url": sink.url, "secret": secret})
        assert hook.status_code == 201
        reply = credit.send("remittance", "remittance.disbursement.request", disbursement)
        again = credit.send("remittance", "remittance.disbursement.request", disbursement)
        assert again["transfer_id"] == reply["transfer_id"]
        assert wait(network, reply["transfer_id"])["state"] == "completed"

        def mine() -> list[dict[str, Any]]:
            return [
                json.loads(b)
                for _, b in sink.received
                if json.loads(b)["transfer_id"] == reply["transfer_id"]
            ]

        deadline = time.monotonic() + 10
        while len(mine()) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert {e["state"] for e in mine()} == {
            "quoted",
            "funded",
            "compliance_passed",
            "sent",
            "paid_out",
            "completed",
        }
        for headers, body in sink.received:
            assert verify_signature(secret, body, headers[SIGNATURE_HEADER])
        with pytest.raises(PeerError) as forbidden:
            network.peer("worker").send(
                "remittance", "remittance.disbursement.request", disbursement
            )
        assert forbidden.value.http_status == 403
    finally:
        sink.close()


def test_the_lender_sees_its_refunded_disbursement_over_signed_envelopes(
    network: Network,
) -> None:
    """F13: a disbursement whose payout fails is refunded, and the credit agent (only it)
    can follow it there by loan id: ``remittance.disbursement.status``."""
    loan_id = f"loan-{uuid.uuid4().hex[:8]}"
    credit = network.peer("credit")
    disbursement = {
        "loan_id": loan_id,
        "amount": {"amount_minor": 250_000_000, "currency": "NGN"},
        "recipient": {"name": "Samuel Adewale", "account": "0000111122",  # closed account
                      "bank": "Zenith Bank", "country": "NG"},
        "route": "bank_transfer",
    }
    reply = credit.send("remittance", "remittance.disbursement.request", disbursement)
    assert wait(network, reply["transfer_id"])["state"] == "refunded"

    status = credit.send("remittance", "remittance.disbursement.status", {"loan_id": loan_id})

    assert status["transfer_id"] == reply["transfer_id"] and status["kind"] == "disbursement"
    assert status["state"] == "refunded"
    assert any("payout failed" in r for r in status["reasons"])
    with pytest.raises(PeerError) as unknown:
        credit.send("remittance", "remittance.disbursement.status", {"loan_id": "loan-none"})
    assert unknown.value.http_status == 404
    with pytest.raises(PeerError) as forbidden:
        network.peer("worker").send(
            "remittance", "remittance.disbursement.status", {"loan_id": loan_id}
        )
    assert forbidden.value.http_status == 403


def test_a_dispute_refund_reaches_the_remittance_agent_over_signed_envelopes(
    network: Network,
) -> None:
    """F13b: the receiver upholds a dispute on a delivered disbursement (its own HTTP
    routes); it tells the remittance agent in a signed ``remittance.dispute.refunded``,
    the transfer ends ``refunded`` with balanced books, and the lender sees it in
    ``remittance.disbursement.status``. Nobody else may send that notice."""
    loan_id = f"loan-{uuid.uuid4().hex[:8]}"
    credit = network.peer("credit")
    reply = credit.send("remittance", "remittance.disbursement.request", {
        "loan_id": loan_id,
        "amount": {"amount_minor": 250_000_000, "currency": "NGN"},
        "recipient": {"name": "Samuel Adewale", "account": "0123456789",
                      "bank": "Zenith Bank", "country": "NG"},
        "route": "bank_transfer",
    })
    assert wait(network, reply["transfer_id"])["state"] == "completed"
    receiver = network.urls["receiver"]
    opened = network.http.post(f"{receiver}/disputes", json={
        "transfer_id": reply["transfer_id"], "reason": "never arrived"})
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    resolved = network.http.post(f"{receiver}/disputes/{dispute['dispute_id']}/resolve",
                                 json={"outcome": "refunded", "by": "ops"})
    assert resolved.status_code == 200 and resolved.json()["state"] == "refunded"

    deadline = time.monotonic() + 30
    while (status := credit.send("remittance", "remittance.disbursement.status",
                                 {"loan_id": loan_id}))["state"] != "refunded":
        assert time.monotonic() < deadline, status
        time.sleep(0.05)

    assert status["history"][-1]["event"] == "refund_after_dispute"
    assert any(dispute["dispute_id"] in r for r in status["reasons"])
    balance = network.http.get(f"{network.urls['remittance']}/ledger/trial-balance")
    assert balance.status_code == 200 and balance.json()["balanced"] is True
    notice = {"transfer_id": reply["transfer_id"], "payout_id": dispute["payout_id"],
              "dispute_id": dispute["dispute_id"],
              "amount": {"amount_minor": 250_000_000, "currency": "NGN"}}
    with pytest.raises(PeerError) as forbidden:
        credit.send("remittance", "remittance.dispute.refunded", notice)
    assert forbidden.value.http_status == 403
    again = network.peer("receiver").send("remittance", "remittance.dispute.refunded", notice)
    assert again == {"transfer_id": reply["transfer_id"], "state": "refunded"}  # a repeat


def test_ops_endpoints_problems_and_the_travel_rule_key(network: Network) -> None:
    remittance, receiver = network.urls["remittance"], network.urls["receiver"]
    for url in (remittance, receiver):
        assert network.http.get(f"{url}/health").json()["status"] == "healthy"
    card = network.http.get(f"{receiver}/.well-known/agent-card.json").json()
    key = network.http.get(f"{receiver}/travel-rule/key").json()
    assert key["public_key"] == network.receiver.travel_key.public_hex
    assert {"name": "travelRuleKey", "endpoint": f"x25519:{key['public_key']}"} in card["services"]
    missing = network.http.get(f"{remittance}/transfers/tr_missing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    bad = network.http.post(
        f"{remittance}/quotes", json={**SCENARIO1_QUOTE, "send_amount_minor": 5}
    )
    assert bad.status_code == 422
    quote = network.http.post(f"{remittance}/quotes", json=SCENARIO1_QUOTE)
    assert (
        quote.status_code == 200 and quote.json()["quote"]["received"]["amount_minor"] == 1_500_000
    )
    books = network.http.get(f"{remittance}/ledger/trial-balance").json()
    assert books["balanced"] is True
    metrics = network.http.get(f"{remittance}/metrics").text
    assert "remittance_transfer_transitions_total" in metrics
