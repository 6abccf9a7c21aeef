"""F21: what the credit agent is sent is validated before any key is read.

A tamper table per message type: one valid baseline, then each single corruption
and the 4xx it must produce. None of them may surface as a 500.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from eth_account import Account

from tests.unit.agents.credit.support import CHAIN_ID, Lender
from zkredit.agents.common import problems
from zkredit.agents.common.loan_offer import sign_offer
from zkredit.agents.credit.models import ApplicationRow
from zkredit.errors import InputError, SignatureError, ZKreditError

WALLET = "0x" + "ab" * 20


def http_status(exc: Exception) -> int:
    status = getattr(exc, "http_status", None)
    return status if isinstance(status, int) else problems.status_for(exc)[0]


def assert_4xx(lender: Lender, message_type: str, payload: dict[str, Any],
               match: str) -> None:
    with pytest.raises(ZKreditError, match=match) as refused:
        lender.deliver(message_type, payload)
    assert 400 <= http_status(refused.value) < 500, refused.value


def open_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"worker_ref": uuid.uuid4().hex, "amount_minor": 250_000_000,
                               "currency": "NGN", "months": 24, "wallet": WALLET}
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not DROP}


DROP = object()


def test_a_valid_open_is_answered(lender: Lender) -> None:
    reply = lender.deliver("credit.application.open", open_payload())
    assert reply["application_id"]


@pytest.mark.parametrize(("changes", "match"), [
    ({"currency": DROP}, "currency"),
    ({"worker_ref": DROP}, "worker_ref"),
    ({"amount_minor": DROP}, "amount_minor"),
    ({"wallet": DROP}, "wallet"),
    ({"months": DROP}, "months"),
    ({"amount_minor": 2**63}, "amount_minor"),
    ({"amount_minor": "250000000"}, "amount_minor"),
    ({"amount_minor": 0}, "amount_minor"),
    ({"months": 361}, "months"),
    ({"wallet": "not-hex"}, "wallet"),
    ({"wallet": "0x" + "zz" * 20}, "wallet"),
    ({"worker_ref": "x" * 65}, "worker_ref"),
    ({"currency": 566}, "currency"),
])
def test_a_malformed_open_is_refused(lender: Lender, changes: dict[str, Any],
                                     match: str) -> None:
    assert_4xx(lender, "credit.application.open", open_payload(**changes), match)


def test_an_open_in_a_currency_the_lender_does_not_lend_in_is_a_400(lender: Lender) -> None:
    assert_4xx(lender, "credit.application.open", open_payload(currency="USD"), "lend")


def concurrently(n: int, call: Any) -> tuple[list[Any], list[BaseException]]:
    """Run ``call`` in ``n`` threads released together; its results and its exceptions."""
    results: list[Any] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(n)

    def once() -> None:
        barrier.wait()
        try:
            results.append(call())
        except BaseException as exc:  # collected: the assertion names it
            failures.append(exc)

    threads = [threading.Thread(target=once) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, failures


def test_concurrent_duplicate_opens_all_get_the_one_application(lender: Lender) -> None:
    for _ in range(10):
        payload = open_payload()
        replies, failures = concurrently(
            6, lambda p=payload: lender.deliver("credit.application.open", p))

        assert failures == []
        assert len({r["application_id"] for r in replies}) == 1
    with lender.runtime.db.session() as s:
        assert s.query(ApplicationRow).count() == 10


def opened(lender: Lender) -> str:
    return str(lender.deliver("credit.application.open", open_payload())["application_id"])


def proof_json(lender: Lender, circuit: str, count: int | None = None) -> dict[str, Any]:
    width = len(lender.service.catalog.get(circuit).public) if count is None else count
    return {"proof": {"pi_a": ["1", "2", "1"], "pi_b": [["1", "2"], ["3", "4"], ["1", "0"]],
                      "pi_c": ["1", "2", "1"], "protocol": "groth16"},
            "public": ["1"] * width}


@pytest.mark.parametrize(("make", "match"), [
    (lambda app, ld: {"proofs": {}}, "application_id"),
    (lambda app, ld: {"application_id": app, "proofs": {"income": {"public": []}}}, "proof"),
    (lambda app, ld: {"application_id": app, "proofs": {"income": "x"}}, "income"),
    (lambda app, ld: {"application_id": app, "proofs": []}, "proofs"),
    (lambda app, ld: {"application_id": app,
                      "proofs": {"income": {"proof": {}, "public": []}}}, "pi_a"),
    (lambda app, ld: {"application_id": app,
                      "proofs": {"income": proof_json(ld, "income", count=3)}}, "public"),
    (lambda app, ld: {"application_id": app,
                      "proofs": {"income": proof_json(ld, "income", count=40)}}, "public"),
    (lambda app, ld: {"application_id": app, "proofs": {}, "submission": "sig"}, "submission"),
])
def test_a_malformed_submission_is_refused(lender: Lender, make: Any, match: str) -> None:
    assert_4xx(lender, "credit.application.submit", make(opened(lender), lender), match)


def approved(lender: Lender, borrower_wallet: str) -> dict[str, Any]:
    """An approved application with its offer, as an assessment leaves it."""
    offer = {"offer_id": uuid.uuid4().hex, "principal_minor": 250_000_000, "currency": "NGN",
             "apr_bps": 1000, "months": 24, "monthly_payment_minor": 11_536_000,
             "total_interest_minor": 26_864_000, "total_repayable_minor": 276_864_000,
             "expires_at": "2999-01-01T00:00:00+00:00"}
    app_id = opened(lender)
    with lender.runtime.db.session() as s:
        row = s.get(ApplicationRow, app_id)
        assert row is not None
        row.wallet = borrower_wallet
        row.status = "approved"
        row.decision = {"status": "approved", "offer": offer,
                        "schedule": [{"n": 1, "payment": 11_536_000, "principal": 9_000_000,
                                      "interest": 2_536_000, "balance": 241_000_000}]}
    return offer


@pytest.mark.parametrize(("signature", "match", "kind"), [
    (None, "signature", InputError),
    ("0x1234", "signature", InputError),
    ("0x" + "zz" * 65, "signature", InputError),
    ("0x" + "00" * 65, "signature", SignatureError),  # 65 bytes that are no signature
])
def test_a_malformed_acceptance_is_refused(lender: Lender, signature: str | None, match: str,
                                           kind: type[Exception]) -> None:
    offer = approved(lender, Account.create().address)
    payload: dict[str, Any] = {"offer_id": offer["offer_id"], "payout": {}}
    if signature is not None:
        payload["signature"] = signature
    with pytest.raises(kind, match=match) as refused:
        lender.deliver("credit.offer.accept", payload)
    assert 400 <= http_status(refused.value) < 500


def test_concurrent_duplicate_acceptances_make_one_loan(lender: Lender) -> None:
    borrower = Account.create()
    offer = approved(lender, borrower.address)
    payload = {"offer_id": offer["offer_id"], "signature": sign_offer(borrower, offer, CHAIN_ID),
               "payout": {}}

    replies, failures = concurrently(4, lambda: lender.deliver("credit.offer.accept", payload))

    assert failures == []
    assert len({r["loan_id"] for r in replies}) == 1
