"""Shared suite: the double-entry ledger, append-only and always balanced."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.store.backends import StoreBackend
from zkredit.domain import ledger as books
from zkredit.domain.errors import UnbalancedEntryError
from zkredit.domain.ledger import Account, JournalEntry, Posting, Side, balances
from zkredit.domain.money import Money, currency
from zkredit.store.errors import LedgerConflict
from zkredit.store.ledger import Ledger

SGD, PHP = currency("SGD"), currency("PHP")


def _unchecked(entry_id: str, *postings: Posting) -> JournalEntry:
    """A JournalEntry that skips its own balance check, as a buggy caller might build."""
    entry = object.__new__(JournalEntry)
    object.__setattr__(entry, "id", entry_id)
    object.__setattr__(entry, "postings", tuple(postings))
    object.__setattr__(entry, "memo", "unchecked")
    return entry


def _remittance() -> list[JournalEntry]:
    principal, fee, received = Money.of(300, "SGD"), Money(450, SGD), Money(1_275_000, PHP)
    return [
        books.remittance_funded("T1", principal, fee),
        books.remittance_fee("T1", fee),
        books.remittance_fx("T1", principal, received),
        books.remittance_payout("T1", received),
    ]


ACCOUNTS = [Account(a) for a in ("assets:cash", "liabilities:customer", "revenue:fees", "x:y")]


@st.composite
def balanced_entries(draw: st.DrawFn) -> list[tuple[tuple[str, str, int], ...]]:
    """Lists of entries; each entry balances per currency by construction."""
    entries = []
    for _ in range(draw(st.integers(1, 3))):
        lines: list[tuple[str, str, int]] = []
        for code in draw(st.sets(st.sampled_from(["USD", "NGN", "PHP"]), min_size=1)):
            amounts = st.integers(1, 10**12)
            debits = draw(st.lists(amounts, min_size=1, max_size=3))
            credits = draw(st.lists(amounts, min_size=1, max_size=3))
            lines += [("debit", code, a) for a in debits] + [("credit", code, a) for a in credits]
            gap = sum(debits) - sum(credits)
            if gap:
                lines.append(("credit" if gap > 0 else "debit", code, abs(gap)))
        entries.append(tuple(lines))
    return entries


class LedgerSuite:
    """Every backend must pass these."""

    @pytest.fixture
    def ledger(self, backend: StoreBackend) -> Ledger:
        return Ledger(backend.open("remittance"))

    def test_a_remittance_books_and_balances(self, ledger: Ledger) -> None:
        for entry in _remittance():
            assert ledger.post(entry, reference="T1")
        assert ledger.balance(books.cash(SGD), "SGD") == Money(30_450, SGD)
        assert ledger.balance(books.fee_revenue(SGD), SGD) == Money(-450, SGD)
        assert ledger.balance(books.payout_float(PHP), PHP) == Money(-1_275_000, PHP)
        assert ledger.balance("assets:unknown", "USD") == Money(0, currency("USD"))
        trial = ledger.trial_balance()
        assert trial.balanced
        assert trial.of("SGD").debits == trial.of("SGD").credits == 30_450 + 450 + 30_000
        assert trial.of("USD").debits == 0
        assert ledger.balances() == balances(_remittance())

    def test_entries_read_back_as_posted(self, ledger: Ledger) -> None:
        entries = _remittance()
        for entry in entries:
            ledger.post(entry, reference="T1")
        assert ledger.entry("T1:fx") == entries[2]
        assert ledger.entries_for("T1") == entries
        assert ledger.entry("nope") is None

    def test_an_unbalanced_entry_is_refused(self, ledger: Ledger) -> None:
        bad = _unchecked(
            "E1",
            books.debit(books.cash(SGD), Money(100, SGD)),
            books.credit(books.customer_funds(SGD), Money(99, SGD)),
        )
        with pytest.raises(UnbalancedEntryError, match="does not balance"):
            ledger.post(bad)
        mixed = _unchecked(  # balanced in total, not per currency
            "E2",
            books.debit(books.cash(SGD), Money(100, SGD)),
            books.credit(books.cash(PHP), Money(100, PHP)),
        )
        with pytest.raises(UnbalancedEntryError):
            ledger.post(mixed)
        with pytest.raises(UnbalancedEntryError):
            ledger.post(_unchecked("E3", books.debit(books.cash(SGD), Money(1, SGD))))
        assert ledger.trial_balance().totals == ()
        assert ledger.db.dump_tables()["ledger_entries"] == []

    def test_posting_again_is_a_no_op_and_a_changed_entry_conflicts(self, ledger: Ledger) -> None:
        entry = books.loan_disbursed("L1", Money.of(2_500_000, "NGN"))
        assert ledger.post(entry)
        assert not ledger.post(entry)
        changed = books.loan_disbursed("L1", Money.of(2_600_000, "NGN"))
        with pytest.raises(LedgerConflict):
            ledger.post(changed)
        assert ledger.trial_balance().of("NGN").debits == 250_000_000

    def test_posting_inside_a_unit_of_work_rolls_back_with_it(self, ledger: Ledger) -> None:
        entry = books.loan_disbursed("L2", Money.of(1_000, "NGN"))
        with pytest.raises(RuntimeError), ledger.db.session() as s:
            assert ledger.post(entry, session=s)
            raise RuntimeError("the state change failed")
        assert ledger.entry(entry.id) is None
        with ledger.db.session() as s:
            ledger.post(entry, session=s)
        assert ledger.entry(entry.id) == entry

    def test_trial_balance_is_always_zero(self, ledger: Ledger) -> None:
        ids = itertools.count()

        # Examples accumulate in one database: the books must balance after every batch.
        @settings(max_examples=25, deadline=None)
        @given(batch=balanced_entries())
        def post_and_check(batch: list[tuple[tuple[str, str, int], ...]]) -> None:
            for lines in batch:
                postings = tuple(
                    Posting(
                        ACCOUNTS[(i + amount) % len(ACCOUNTS)], Money(amount, currency(c)), Side(s)
                    )
                    for i, (s, c, amount) in enumerate(lines)
                )
                ledger.post(JournalEntry(f"P{next(ids)}", postings, "property"))
            assert ledger.trial_balance().balanced
            net: dict[str, int] = defaultdict(int)
            for (_, ccy), amount in ledger.balances().items():
                net[ccy.code] += amount
            assert all(total == 0 for total in net.values())

        post_and_check()
