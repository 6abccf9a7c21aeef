"""F08: an accepted loan whose disbursement job died is disbursed once the reconciler runs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from eth_account import Account

from tests.unit.agents.credit.support import CHAIN_ID, Lender
from tests.unit.agents.credit.test_payloads import approved
from zkredit.agents.common.loan_offer import sign_offer
from zkredit.agents.common.messaging import PeerError
from zkredit.agents.common.reconciler import Reconciler
from zkredit.agents.credit.models import LoanRow


def test_an_accepted_loan_stranded_by_a_remittance_outage_is_disbursed(
    lender: Lender, monkeypatch: pytest.MonkeyPatch
) -> None:
    borrower = Account.create()
    offer = approved(lender, borrower.address)
    payout = {"route": "bank_transfer"}
    payload = {"offer_id": offer["offer_id"],
               "signature": sign_offer(borrower, offer, CHAIN_ID, payout), "payout": payout}

    def remittance_down(*args: Any, **kwargs: Any) -> Any:
        raise PeerError("remittance", 503, "unreachable")

    with monkeypatch.context() as outage:
        outage.setattr(lender.remittance, "send", remittance_down)
        loan = lender.deliver("credit.offer.accept", payload)  # waits until the job dies
    assert loan["status"] == "accepted"

    assert Reconciler({"credit": lender.service.resume}).run_once() == {"credit": 1}

    deadline = time.monotonic() + 20
    while True:
        with lender.runtime.db.session() as s:
            row = s.get(LoanRow, loan["loan_id"])
            assert row is not None
            if row.status == "disbursed":
                break
        assert time.monotonic() < deadline, "the loan was never disbursed"
        time.sleep(0.05)
    sent = [p for _, kind, p in lender.remittance.sent if kind == "remittance.disbursement.request"]
    assert len(sent) == 1 and sent[0]["route"] == "bank_transfer"
