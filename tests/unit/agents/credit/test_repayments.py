"""F26 (and F03's missing amount): repayments carry an amount and a payment reference, are
applied under a lock on the loan, and book the counter, the ledger and the audit together."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest

from tests.unit.agents.credit.support import Lender
from zkredit.agents.credit.models import LoanRow, RepaymentRow
from zkredit.agents.credit.service import RepaymentConflict
from zkredit.domain.amortization import amortise
from zkredit.domain.ledger import cash, interest_revenue, loans_receivable
from zkredit.domain.money import Money, currency
from zkredit.errors import InputError
from zkredit.store.ledger import Ledger

NGN = currency("NGN")


def disbursed_loan(lender: Lender, months: int = 12) -> tuple[str, list[dict[str, int]]]:
    """A loan of NGN 2,500,000 at 10 % paid out to the borrower, as disbursement leaves it."""
    schedule = [{"n": i.number, "payment": i.payment.minor, "principal": i.principal.minor,
                 "interest": i.interest.minor, "balance": i.balance.minor}
                for i in amortise(Money(250_000_000, NGN), 1000, months).installments]
    loan_id = uuid.uuid4().hex
    with lender.runtime.db.session() as s:
        s.add(LoanRow(id=loan_id, application_id=uuid.uuid4().hex, offer_id=uuid.uuid4().hex,
                      wallet="0x" + "ab" * 20, principal_minor=250_000_000, currency="NGN",
                      apr_bps=1000, months=months, schedule=schedule,
                      acceptance_signature="0x", status="disbursed",
                      disbursement={"transfer_id": "tr_1"},
                      created_at=dt.datetime.now(dt.UTC)))
    return loan_id, schedule


def booked(lender: Lender, loan_id: str) -> tuple[int, int, int]:
    """(cash received, principal repaid, interest earned) in the lender's books."""
    ledger = Ledger(lender.runtime.db)
    return (ledger.balance(cash(NGN), NGN).minor,
            -ledger.balance(loans_receivable(loan_id), NGN).minor,
            -ledger.balance(interest_revenue(NGN), NGN).minor)


def counter(lender: Lender, loan_id: str) -> int:
    with lender.runtime.db.session() as s:
        loan = s.get(LoanRow, loan_id)
        assert loan is not None
        return loan.repaid_installments


def test_an_installment_paid_in_full_books_its_principal_and_interest(lender: Lender) -> None:
    loan_id, schedule = disbursed_loan(lender)
    first = schedule[0]

    reply = lender.service.record_repayment(loan_id, first["payment"], "NGN", "PAY-0001")

    assert (reply["principal_minor"], reply["interest_minor"]) == (first["principal"],
                                                                   first["interest"])
    assert reply["installments_paid"] == 1 and reply["late"] is False
    assert booked(lender, loan_id) == (first["payment"], first["principal"], first["interest"])
    assert lender.runtime.audit.verify().ok


def test_partial_payments_settle_interest_first_and_add_up(lender: Lender) -> None:
    loan_id, schedule = disbursed_loan(lender)
    first = schedule[0]
    part = first["interest"] // 2

    a = lender.service.record_repayment(loan_id, part, "NGN", "PAY-a")
    b = lender.service.record_repayment(loan_id, first["payment"] - part + 5, "NGN", "PAY-b")

    assert (a["interest_minor"], a["principal_minor"], a["installments_paid"]) == (part, 0, 0)
    assert b["installments_paid"] == 1
    assert a["interest_minor"] + b["interest_minor"] == first["interest"] + min(
        5, schedule[1]["interest"])
    assert booked(lender, loan_id)[0] == first["payment"] + 5


def test_the_same_reference_is_one_repayment(lender: Lender) -> None:
    loan_id, schedule = disbursed_loan(lender)
    pay = schedule[0]["payment"]
    first = lender.service.record_repayment(loan_id, pay, "NGN", "PAY-dup")

    again = lender.service.record_repayment(loan_id, pay, "NGN", "PAY-dup")

    assert again == {**first, "feedback_tx": None}  # a replay posts no second feedback
    assert booked(lender, loan_id)[0] == pay
    with pytest.raises(RepaymentConflict):
        lender.service.record_repayment(loan_id, pay + 1, "NGN", "PAY-dup")


def test_concurrent_repayments_are_all_booked(lender: Lender) -> None:
    loan_id, schedule = disbursed_loan(lender)
    n = 6
    failures: list[BaseException] = []
    barrier = threading.Barrier(n)

    def pay(k: int) -> None:
        barrier.wait()
        try:
            lender.service.record_repayment(loan_id, schedule[0]["payment"], "NGN", f"PAY-{k}")
        except BaseException as exc:  # collected: the assertion names it
            failures.append(exc)

    threads = [threading.Thread(target=pay, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert failures == []
    with lender.runtime.db.session() as s:
        assert s.query(RepaymentRow).filter(RepaymentRow.loan_id == loan_id).count() == n
    assert booked(lender, loan_id)[0] == n * schedule[0]["payment"]
    assert counter(lender, loan_id) >= n - 1  # the last installment of a round-up differs


def test_a_crash_while_booking_leaves_neither_the_counter_nor_the_entry(
    lender: Lender, monkeypatch: pytest.MonkeyPatch
) -> None:
    loan_id, schedule = disbursed_loan(lender)

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("killed while posting")

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "post", crash)
        with pytest.raises(RuntimeError):
            lender.service.record_repayment(loan_id, schedule[0]["payment"], "NGN", "PAY-x")

    assert counter(lender, loan_id) == 0
    with lender.runtime.db.session() as s:
        assert s.query(RepaymentRow).count() == 0
    lender.service.record_repayment(loan_id, schedule[0]["payment"], "NGN", "PAY-x")
    assert counter(lender, loan_id) == 1


def test_paying_off_the_loan_repays_it_and_an_overpayment_is_refused(lender: Lender) -> None:
    loan_id, schedule = disbursed_loan(lender, months=3)
    total = sum(i["payment"] for i in schedule)
    with pytest.raises(InputError, match="exceeds the outstanding balance"):
        lender.service.record_repayment(loan_id, total + 1, "NGN", "PAY-over")

    reply = lender.service.record_repayment(loan_id, total, "NGN", "PAY-all")

    assert reply["status"] == "repaid" and reply["installments_paid"] == 3
    assert booked(lender, loan_id)[1] == 250_000_000
    with pytest.raises(InputError, match="repaid"):
        lender.service.record_repayment(loan_id, 1, "NGN", "PAY-more")


def test_a_payment_after_the_due_date_is_late(lender: Lender) -> None:
    loan_id, schedule = disbursed_loan(lender)
    lender.service.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=45)

    reply = lender.service.record_repayment(loan_id, schedule[0]["payment"], "NGN", "PAY-late")

    assert reply["late"] is True
    assert lender.chain.feedback[-1][3] == "late"


def test_a_repayment_in_another_currency_is_refused(lender: Lender) -> None:
    loan_id, _ = disbursed_loan(lender)
    with pytest.raises(InputError, match="NGN"):
        lender.service.record_repayment(loan_id, 100, "USD", "PAY-usd")
