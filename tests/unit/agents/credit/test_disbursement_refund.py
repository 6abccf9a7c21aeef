"""F13: a disbursement the remittance agent refunds reaches the lender.

Accepting a disbursement is not delivering it. The credit agent follows the transfer
(``remittance.disbursement.status``) to a terminal state: delivered keeps the
receivable; refunded reverses it with a balanced entry, closes the loan as
``disbursement_refunded``, and the loan takes no repayments.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import select

from tests.unit.agents.audit_crash import audited
from tests.unit.agents.credit.support import CHAIN_ID, Lender
from tests.unit.agents.credit.test_payloads import approved
from zkredit.agents.common.envelope import Envelope, StaticDirectory
from zkredit.agents.common.loan_offer import sign_offer
from zkredit.agents.common.messaging import SenderNotAllowed
from zkredit.agents.credit.models import ApplicationRow, LoanRow
from zkredit.domain.ledger import cash, interest_revenue, loans_receivable
from zkredit.domain.money import currency
from zkredit.errors import InputError
from zkredit.store.ledger import Ledger

NGN = currency("NGN")
PRINCIPAL = 250_000_000
PAYOUT = {"route": "bank_transfer"}


def accept(lender: Lender) -> str:
    borrower = Account.create()
    offer = approved(lender, borrower.address)
    with lender.runtime.db.session() as s:
        app = s.scalars(select(ApplicationRow).where(
            ApplicationRow.wallet == borrower.address)).one()
        app.attestation = {"request_hash": "0x" + "ab" * 32}
    loan = lender.deliver("credit.offer.accept", {
        "offer_id": offer["offer_id"], "payout": PAYOUT,
        "signature": sign_offer(borrower, offer, CHAIN_ID, PAYOUT)})
    assert loan["status"] in ("disbursed", "disbursement_refunded")  # the tracker is quick
    return str(loan["loan_id"])


def loan_row(lender: Lender, loan_id: str) -> LoanRow:
    with lender.runtime.db.session() as s:
        row = s.get(LoanRow, loan_id)
        assert row is not None
        s.expunge(row)
        return row


def eventually(what: str, check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def books(lender: Lender, loan_id: str) -> tuple[int, int]:
    """(the receivable, the lender's cash) in minor units, debits positive."""
    ledger = Ledger(lender.runtime.db)
    return (ledger.balance(loans_receivable(loan_id), NGN).minor,
            ledger.balance(cash(NGN), NGN).minor)


def status_looks(lender: Lender) -> list[dict[str, Any]]:
    return [p for _, kind, p in lender.remittance.sent
            if kind == "remittance.disbursement.status"]


def test_a_refunded_disbursement_reverses_the_loan_and_refuses_repayments(
    lender: Lender,
) -> None:
    lender.remittance.disbursement_state = "refunded"
    lender.remittance.reasons = ["payout failed: account closed"]
    loan_id = accept(lender)

    eventually("the loan to follow its refunded transfer",
               lambda: loan_row(lender, loan_id).status == "disbursement_refunded")

    eventually("the attestation to be released",
               lambda: "release_tx" in loan_row(lender, loan_id).disbursement)
    row = loan_row(lender, loan_id)
    assert row.disbursement["state"] == "refunded"
    assert lender.chain.released == [bytes.fromhex("ab" * 32)]  # the borrower may apply again
    assert books(lender, loan_id) == (0, 0)  # the receivable is undone, the cash is back
    ledger = Ledger(lender.runtime.db)
    assert ledger.trial_balance().balanced
    assert audited(lender.runtime.audit, "loan.disbursement_refunded") == [{
        "loan_id": loan_id, "transfer_id": f"t-{loan_id}", "transfer_state": "refunded",
        "reason": "payout failed: account closed"}]
    with pytest.raises(InputError, match="disbursement_refunded"):
        lender.service.record_repayment(loan_id, 11_536_000, "NGN", "PAY-0001")
    assert lender.service.resume() == 0  # nothing left to follow


def test_a_delivered_disbursement_keeps_the_receivable(lender: Lender) -> None:
    lender.remittance.disbursement_state = "sent"
    loan_id = accept(lender)
    eventually("a first look at the transfer recorded",  # the look is sent, then stored
               lambda: (loan_row(lender, loan_id).disbursement or {}).get("state") == "sent")
    assert status_looks(lender)
    assert lender.service.resume() == 1  # still being followed

    lender.remittance.disbursement_state = "completed"
    eventually("the transfer to be seen delivered",
               lambda: loan_row(lender, loan_id).disbursement["state"] == "completed")

    assert loan_row(lender, loan_id).status == "disbursed"
    assert books(lender, loan_id) == (PRINCIPAL, -PRINCIPAL)
    reply = lender.service.record_repayment(loan_id, 11_536_000, "NGN", "PAY-0001")
    assert reply["reference"] == "PAY-0001"
    assert lender.service.resume() == 0


def test_a_second_look_at_a_refund_books_the_reversal_once(lender: Lender) -> None:
    lender.remittance.disbursement_state = "refunded"
    loan_id = accept(lender)
    eventually("the reversal",
               lambda: loan_row(lender, loan_id).status == "disbursement_refunded")

    # A re-run of the tracking job (at-least-once) changes nothing.
    lender.service._job_track_disbursement({"loan_id": loan_id})
    lender.service._follow_transfer(loan_id, "refunded", None)

    assert books(lender, loan_id) == (0, 0)
    assert len(audited(lender.runtime.audit, "loan.disbursement_refunded")) == 1


def test_a_refund_after_a_repayment_reverses_only_the_outstanding_receivable(
    lender: Lender,
) -> None:
    """F13: a repayment booked while the disbursement was in flight stays booked as
    repaid; the reversal takes only the principal still outstanding, so the receivable
    ends at zero (not below) and the entry balances."""
    PART = 5_000_000  # the interest of the first installment, and some principal
    lender.remittance.disbursement_state = "sent"
    loan_id = accept(lender)
    eventually("a first look at the transfer", lambda: bool(status_looks(lender)))
    paid = lender.service.record_repayment(loan_id, PART, "NGN", "PAY-0001")
    principal_repaid = int(paid["principal_minor"])
    interest = int(paid["interest_minor"])
    assert paid["status"] == "disbursed"  # partly repaid
    assert 0 < principal_repaid < PRINCIPAL and interest > 0

    lender.remittance.disbursement_state = "refunded"
    eventually("the loan to follow its refunded transfer",
               lambda: loan_row(lender, loan_id).status == "disbursement_refunded")

    receivable, cash_balance = books(lender, loan_id)
    assert receivable == 0  # not -principal_repaid: the repaid part is not reversed twice
    # Cash: -principal out, +payment in, +outstanding back.
    assert cash_balance == -PRINCIPAL + PART + (PRINCIPAL - principal_repaid)
    ledger = Ledger(lender.runtime.db)
    assert ledger.trial_balance().balanced
    assert ledger.balance(interest_revenue(NGN), NGN).minor == -interest  # stays earned
    assert audited(lender.runtime.audit, "loan.disbursement_refunded") == [{
        "loan_id": loan_id, "transfer_id": f"t-{loan_id}", "transfer_state": "refunded",
        "reason": None, "principal_repaid_minor": principal_repaid,
        "reversed_minor": PRINCIPAL - principal_repaid}]


def worker_notices(lender: Lender) -> list[tuple[str, dict[str, Any]]]:
    return [(to, p) for to, kind, p in lender.remittance.sent if kind == "worker.loan.refunded"]


def test_the_borrowers_worker_is_told_of_the_reversal(lender: Lender) -> None:
    lender.remittance.disbursement_state = "refunded"
    loan_id = accept(lender)
    eventually("the worker to be told", lambda: bool(worker_notices(lender)))
    row = loan_row(lender, loan_id)
    with lender.runtime.db.session() as s:
        app = s.get(ApplicationRow, row.application_id)
        assert app is not None
        worker_ref = app.worker_ref
    assert worker_notices(lender) == [
        ("worker", {"application_id": worker_ref, "loan_id": loan_id})]


def remittance_notice(lender: Lender, payload: dict[str, Any]) -> dict[str, Any]:
    """``credit.disbursement.refunded`` signed by the remittance agent."""
    remittance = Account.create()
    lender.runtime.inbox.directory = StaticDirectory({
        "worker": lender.worker.address, "credit": lender.runtime.account.address,
        "remittance": remittance.address})
    envelope = Envelope.create("credit.disbursement.refunded", "remittance", "credit",
                               payload).signed(remittance, CHAIN_ID)
    return lender.runtime.inbox.deliver(envelope, None)


def test_a_delivered_disbursement_refunded_by_a_dispute_is_reversed_on_notice(
    lender: Lender,
) -> None:
    """F13b: the tracker stops at a delivered transfer; the remittance agent's notice of a
    dispute refund makes it look again, and the loan is reversed as for a failed payout."""
    lender.remittance.disbursement_state = "completed"
    loan_id = accept(lender)
    eventually("the transfer to be seen delivered",
               lambda: loan_row(lender, loan_id).disbursement.get("state") == "completed")
    assert lender.service.resume() == 0  # delivered: nothing is followed any more

    lender.remittance.disbursement_state = "refunded"
    lender.remittance.reasons = ["dispute dp_1 refunded: not received"]
    reply = remittance_notice(lender, {"loan_id": loan_id, "transfer_id": f"t-{loan_id}"})
    assert reply == {"loan_id": loan_id, "status": "disbursed"}

    eventually("the loan to follow its refunded transfer",
               lambda: loan_row(lender, loan_id).status == "disbursement_refunded")
    eventually("the attestation to be released",
               lambda: "release_tx" in loan_row(lender, loan_id).disbursement)
    assert loan_row(lender, loan_id).disbursement["refund_notice"] is True  # for resume()
    assert books(lender, loan_id) == (0, 0)
    assert Ledger(lender.runtime.db).trial_balance().balanced
    with pytest.raises(InputError, match="disbursement_refunded"):
        lender.service.record_repayment(loan_id, 11_536_000, "NGN", "PAY-0001")
    with pytest.raises(SenderNotAllowed):  # only the remittance agent may say so
        lender.deliver("credit.disbursement.refunded", {"loan_id": loan_id})
