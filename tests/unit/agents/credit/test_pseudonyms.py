"""Review F-1 off chain: one person, one open loan with this lender.

The scope is derived from the lender, so the proofs' nullifier is the borrower's
pseudonym here. While that pseudonym's loan is open a second application is
refused (whatever wallet it comes from); repaying the loan frees the pseudonym and
releases its attestation on chain. On the old code every application had a fresh
scope, so nothing tied two applications of one person together.
"""

from __future__ import annotations

import datetime as dt
import uuid

from tests.unit.agents.credit.support import Lender
from tests.unit.agents.credit.test_repayments import disbursed_loan
from zkredit.agents.credit.models import ApplicationRow, LoanRow, NullifierRow

PSEUDONYM = 4_242_424_242


def holding(lender: Lender) -> tuple[str, str, list[dict[str, int]]]:
    """A disbursed loan whose application holds ``PSEUDONYM``, attested on chain."""
    loan_id, schedule = disbursed_loan(lender, months=2)
    with lender.runtime.db.session() as s:
        loan = s.get(LoanRow, loan_id)
        assert loan is not None
        app_id = loan.application_id
        s.add(ApplicationRow(
            id=app_id, requester="worker", worker_ref=uuid.uuid4().hex, wallet="0x" + "ab" * 20,
            scope=str(lender.chain.loan_scope), amount_minor=250_000_000, currency="NGN",
            months=2, today=dt.date.today().isoformat(), status="accepted",
            attestation={"request_hash": "0x" + "5a" * 32}))
        s.add(NullifierRow(nullifier=str(PSEUDONYM), application_id=app_id))
    return app_id, loan_id, schedule


def test_every_application_carries_the_scope_derived_from_this_lender(lender: Lender) -> None:
    first = lender.deliver("credit.application.open", {
        "worker_ref": "a", "amount_minor": 100_000, "currency": "NGN", "months": 6,
        "wallet": "0x" + "01" * 20})
    second = lender.deliver("credit.application.open", {
        "worker_ref": "b", "amount_minor": 100_000, "currency": "NGN", "months": 6,
        "wallet": "0x" + "02" * 20})
    assert int(first["scope"]) == int(second["scope"]) == lender.chain.loan_scope


def test_an_open_loan_holds_the_pseudonym_until_it_is_repaid(lender: Lender) -> None:
    app_id, loan_id, schedule = holding(lender)
    another = uuid.uuid4().hex

    assert lender.service._active_owner(PSEUDONYM, another) == app_id
    assert lender.service._active_owner(PSEUDONYM, app_id) is None  # its own, resumed

    total = sum(i["payment"] for i in schedule)
    reply = lender.service.record_repayment(loan_id, total, "NGN", "PAY-all")

    assert reply["status"] == "repaid"
    assert lender.chain.released == [bytes.fromhex("5a" * 32)]
    assert reply["release_tx"] is not None
    assert lender.service._active_owner(PSEUDONYM, another) is None
