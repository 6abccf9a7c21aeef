"""Double-entry ledger: entries refuse to be unbalanced; standard entries keep books at zero."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkredit.domain import ledger as lg
from zkredit.domain.amortization import amortise
from zkredit.domain.errors import UnbalancedEntryError
from zkredit.domain.ledger import Account, JournalEntry, Posting, Side, balances, credit, debit
from zkredit.domain.money import Currency, Money, currency
from zkredit.errors import InputError

SGD, PHP, NGN, USD = (currency(c) for c in ("SGD", "PHP", "NGN", "USD"))
A, B, C = Account("assets:a"), Account("assets:b"), Account("liabilities:c")


def m(minor: int, ccy: Currency = SGD) -> Money:
    return Money(minor, ccy)


def test_baseline_entry_balances() -> None:
    entry = JournalEntry("e1", (debit(A, m(100)), credit(B, m(60)), credit(C, m(40))), "split")
    assert sum(p.signed_minor for p in entry.postings) == 0


@pytest.mark.parametrize(
    ("postings", "message"),
    [
        ((debit(A, m(100)),), "has 1 posting"),
        ((), "has 0 posting"),
        ((debit(A, m(100)), credit(B, m(99))), r"SGD: debits exceed credits by SGD 0\.01"),
        ((debit(A, m(99)), credit(B, m(100))), r"SGD: credits exceed debits by SGD 0\.01"),
        ((debit(A, m(100)), credit(B, m(100, USD))), "SGD: debits exceed.*USD: credits exceed"),
        ((debit(A, m(100)), debit(B, m(100))), "debits exceed credits by SGD 2.00"),
        (
            (debit(A, m(100)), credit(B, m(100)), debit(A, m(5, PHP)), credit(B, m(4, PHP))),
            "PHP: debits exceed credits by PHP 0.01",
        ),
    ],
)
def test_unbalanced_entries_are_refused(postings: tuple[Posting, ...], message: str) -> None:
    with pytest.raises(UnbalancedEntryError, match=message):
        JournalEntry("bad", postings, "tampered")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: debit(A, m(0)), "posting amount is positive"),
        (lambda: credit(A, m(-5)), "posting amount is positive"),
        (lambda: Posting(Account(""), m(1), Side.DEBIT), "needs an account"),
        (lambda: JournalEntry("", (debit(A, m(1)), credit(B, m(1))), "x"), "needs an id"),
    ],
)
def test_malformed_postings_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build()


postings_strategy = st.lists(
    st.tuples(
        st.sampled_from([A, B, C, Account("revenue:x")]),
        st.integers(1, 10**12),
        st.sampled_from([SGD, PHP, NGN]),
    ),
    min_size=1,
    max_size=12,
)


Line = tuple[Account, int, Currency]


def _balanced(lines: list[Line]) -> tuple[Posting, ...]:
    out = [debit(acct, Money(amount, ccy)) for acct, amount, ccy in lines]
    totals: dict[Currency, int] = defaultdict(int)
    for _, amount, ccy in lines:
        totals[ccy] += amount
    out += [credit(Account("equity:balancing"), Money(t, ccy)) for ccy, t in totals.items()]
    return tuple(out)


@given(st.lists(postings_strategy, min_size=1, max_size=6))
def test_books_built_from_entries_always_balance(batches: list[list[Line]]) -> None:
    entries = [JournalEntry(f"e{i}", _balanced(b), "random") for i, b in enumerate(batches)]
    per_currency: dict[Currency, int] = defaultdict(int)
    for (_, ccy), balance in balances(entries).items():
        per_currency[ccy] += balance
    assert all(total == 0 for total in per_currency.values())


@given(postings_strategy, st.data())
def test_any_one_minor_unit_off_is_refused(lines: list[Line], data: st.DataObject) -> None:
    postings = list(_balanced(lines))
    i = data.draw(st.integers(0, len(postings) - 1))
    p = postings[i]
    postings[i] = Posting(p.account, Money(p.amount.minor + 1, p.amount.currency), p.side)
    with pytest.raises(UnbalancedEntryError):
        JournalEntry("tampered", tuple(postings), "one unit off")


# --- standard entries ------------------------------------------------------------

PRINCIPAL, FEE, RECEIVED = m(33_429), m(367), m(1_500_000, PHP)  # scenario 1


def test_completed_remittance_books() -> None:
    entries = [
        lg.remittance_funded("t1", PRINCIPAL, FEE),
        lg.remittance_fee("t1", FEE),
        lg.remittance_fx("t1", PRINCIPAL, RECEIVED),
        lg.remittance_payout("t1", RECEIVED),
    ]
    assert [e.id for e in entries] == ["t1:fund", "t1:fee", "t1:fx", "t1:payout"]
    got = {k: v for k, v in balances(entries).items() if v}
    assert got == {
        (lg.cash(SGD), SGD): 33_796,
        (lg.fee_revenue(SGD), SGD): -367,
        (lg.fx_position(SGD), SGD): -33_429,
        (lg.fx_position(PHP), PHP): 1_500_000,
        (lg.payout_float(PHP), PHP): -1_500_000,
    }


def test_failed_payout_refunds_the_principal_and_keeps_the_fee() -> None:
    entries = [
        lg.remittance_funded("t2", PRINCIPAL, FEE),
        lg.remittance_fee("t2", FEE),
        lg.remittance_fx("t2", PRINCIPAL, RECEIVED),
        lg.remittance_fx_reversal("t2", PRINCIPAL, RECEIVED),
        lg.remittance_refund("t2", PRINCIPAL),
    ]
    got = {k: v for k, v in balances(entries).items() if v}
    assert got == {(lg.cash(SGD), SGD): 367, (lg.fee_revenue(SGD), SGD): -367}


def test_loan_books_close_at_zero_after_the_last_installment() -> None:
    schedule = amortise(Money.of(2_500_000, "NGN"), 1_000, 24)
    entries = [lg.loan_disbursed("L1", schedule.principal)]
    entries += [
        lg.loan_repaid("L1", i.number, i.principal, i.interest) for i in schedule.installments
    ]
    got = {k: v for k, v in balances(entries).items() if v}
    assert got == {
        (lg.cash(NGN), NGN): schedule.total_interest.minor,
        (lg.interest_revenue(NGN), NGN): -schedule.total_interest.minor,
    }
    assert entries[1].id == "L1:repay:1"


def test_repayment_with_no_interest_omits_the_interest_line() -> None:
    entry = lg.loan_repaid("L2", 1, m(100, NGN), m(0, NGN))
    assert [p.account for p in entry.postings] == [lg.cash(NGN), lg.loans_receivable("L2")]
