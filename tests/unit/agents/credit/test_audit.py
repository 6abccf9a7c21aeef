"""F34: the credit agent's business changes and their audit entries commit together."""

from __future__ import annotations

import pytest
from eth_account import Account

from tests.unit.agents.audit_crash import SimulatedCrash, audited, crash_on_audit
from tests.unit.agents.credit.support import CHAIN_ID, Lender
from tests.unit.agents.credit.test_payloads import approved, open_payload
from zkredit.agents.common.loan_offer import sign_offer
from zkredit.agents.credit.models import ApplicationRow, LoanRow


def test_a_crash_while_auditing_an_open_leaves_no_unaudited_application(
    lender: Lender, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = open_payload()
    with crash_on_audit(monkeypatch, "application.opened"), pytest.raises(SimulatedCrash):
        lender.deliver("credit.application.open", payload)
    with lender.runtime.db.session() as s:
        assert s.query(ApplicationRow).count() == 0

    reply = lender.deliver("credit.application.open", payload)  # the worker's retry

    assert [e["application_id"] for e in audited(lender.runtime.audit, "application.opened")] \
        == [reply["application_id"]]


def test_a_crash_while_auditing_an_acceptance_leaves_no_unaudited_loan(
    lender: Lender, monkeypatch: pytest.MonkeyPatch
) -> None:
    borrower = Account.create()
    offer = approved(lender, borrower.address)
    payload = {"offer_id": offer["offer_id"], "signature": sign_offer(borrower, offer, CHAIN_ID),
               "payout": {}}
    with crash_on_audit(monkeypatch, "loan.accepted"), pytest.raises(SimulatedCrash):
        lender.deliver("credit.offer.accept", payload)
    with lender.runtime.db.session() as s:
        assert s.query(LoanRow).count() == 0

    loan = lender.deliver("credit.offer.accept", payload)

    assert [e["loan_id"] for e in audited(lender.runtime.audit, "loan.accepted")] \
        == [loan["loan_id"]]
    assert lender.runtime.audit.verify().ok
