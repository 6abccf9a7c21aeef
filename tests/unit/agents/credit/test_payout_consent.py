"""F06: the borrower's signed acceptance covers where the loan is paid out, and that
account cannot change once the offer is accepted."""

from __future__ import annotations

import time
from typing import Any

import pytest
from eth_account import Account

from tests.unit.agents.credit.support import CHAIN_ID, Lender
from tests.unit.agents.credit.test_payloads import approved
from zkredit.agents.common.loan_offer import sign_offer
from zkredit.errors import SignatureError

SIGNED = {"route": "bank_transfer", "recipient": {
    "name": "Samuel Adewale", "account": "0123456789", "bank": "Zenith Bank", "country": "NG"}}
OTHER = {"route": "bank_transfer", "recipient": {
    "name": "Samuel Adewale", "account": "9876543210", "bank": "Other Bank", "country": "NG"}}


def disbursed_to(lender: Lender) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while not lender.remittance.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p.get("recipient", {}) for _r, t, p in lender.remittance.sent
            if t == "remittance.disbursement.request"]


def test_an_acceptance_is_refused_when_the_payout_is_not_the_signed_one(lender: Lender
                                                                         ) -> None:
    borrower = Account.create()
    offer = approved(lender, borrower.address)
    signature = sign_offer(borrower, offer, CHAIN_ID, SIGNED)
    with pytest.raises(SignatureError, match="not signed by the applicant"):
        lender.deliver("credit.offer.accept", {"offer_id": offer["offer_id"],
                                               "signature": signature, "payout": OTHER})
    assert lender.remittance.sent == []


def test_the_payout_account_cannot_change_after_acceptance(lender: Lender) -> None:
    borrower = Account.create()
    offer = approved(lender, borrower.address)
    loan = lender.deliver("credit.offer.accept", {
        "offer_id": offer["offer_id"], "payout": SIGNED,
        "signature": sign_offer(borrower, offer, CHAIN_ID, SIGNED)})
    # the borrower (or whoever holds their key) signs again, for another account
    again = lender.deliver("credit.offer.accept", {
        "offer_id": offer["offer_id"], "payout": OTHER,
        "signature": sign_offer(borrower, offer, CHAIN_ID, OTHER)})
    assert again["loan_id"] == loan["loan_id"]
    assert disbursed_to(lender) == [SIGNED["recipient"]]
