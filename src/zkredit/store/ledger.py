"""The party's double-entry books: journal entries in, balances and trial balance out.

Entries are append-only: there is no update or delete, a correction is a new
entry. Posting an entry id twice is a no-op when the postings are the same (so a
resumed step cannot book money twice) and an error when they differ.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zkredit.domain.errors import UnbalancedEntryError
from zkredit.domain.ledger import Account, JournalEntry, Posting, Side
from zkredit.domain.money import MAX_MINOR, Currency, Money, currency
from zkredit.store.db import Database
from zkredit.store.errors import LedgerConflict
from zkredit.store.models import LedgerEntryRow, LedgerPostingRow

_Line = tuple[str, str, int, str]  # account, side, amount_minor, currency code


@dataclass(frozen=True)
class CurrencyTotals:
    """Sum of debits and of credits in one currency, in minor units."""

    currency: Currency
    debits: int
    credits: int

    @property
    def difference(self) -> int:
        """Debits minus credits: zero when the books balance."""
        return self.debits - self.credits


@dataclass(frozen=True)
class TrialBalance:
    """Debit and credit totals per currency over every posting of the party."""

    totals: tuple[CurrencyTotals, ...]

    @property
    def balanced(self) -> bool:
        """Whether debits equal credits in every currency."""
        return all(t.difference == 0 for t in self.totals)

    def of(self, code: str) -> CurrencyTotals:
        """The totals of one currency (zeros if it was never posted)."""
        for t in self.totals:
            if t.currency.code == code.upper():
                return t
        return CurrencyTotals(currency(code), 0, 0)


def _lines(entry: JournalEntry) -> list[_Line]:
    return [
        (p.account, Side(p.side).value, p.amount.minor, p.amount.currency.code)
        for p in entry.postings
    ]


def check_balanced(entry: JournalEntry) -> None:
    """Refuse an entry that does not balance per currency or has unstorable amounts.

    :class:`JournalEntry` already refuses to exist unbalanced; the store checks again
    because it is the last gate before money is on the books.
    """
    if len(entry.postings) < 2:
        raise UnbalancedEntryError(f"entry {entry.id!r} needs at least two postings")
    net: dict[str, int] = defaultdict(int)
    for account, side, minor, code in _lines(entry):
        if isinstance(minor, bool) or not isinstance(minor, int) or not 0 < minor <= MAX_MINOR:
            raise UnbalancedEntryError(
                f"entry {entry.id!r}: posting on {account} must be a positive integer amount "
                f"below 2^63 minor units. Got {minor!r}"
            )
        net[code] += minor if side == Side.DEBIT.value else -minor
    off = {code: amount for code, amount in net.items() if amount}
    if off:
        detail = ", ".join(f"{code}: debits - credits = {amount}" for code, amount in off.items())
        raise UnbalancedEntryError(f"entry {entry.id!r} does not balance ({detail})")


class Ledger:
    """Journal entries of one party, stored append-only."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def post(
        self, entry: JournalEntry, *, reference: str | None = None, session: Session | None = None
    ) -> bool:
        """Book ``entry``; return ``False`` if the same entry was already booked.

        Raises :class:`UnbalancedEntryError` for an unbalanced entry and
        :class:`LedgerConflict` if the id was booked with different postings. Pass
        ``session`` to book inside a caller's unit of work (state change and its money
        movement commit together); the caller then owns the commit, and a concurrent
        duplicate surfaces there as ``IntegrityError``.
        """
        check_balanced(entry)
        if session is not None:
            return self._post_in(session, entry, reference)
        try:
            with self.db.session() as s:
                return self._post_in(s, entry, reference)
        except IntegrityError:
            # A concurrent writer booked the same id first: fine if it is the same entry.
            with self.db.session() as s:
                if _compare_stored(s, entry) is None:
                    raise
            return False

    def _post_in(self, s: Session, entry: JournalEntry, reference: str | None) -> bool:
        if _compare_stored(s, entry) is not None:
            return False
        s.add(LedgerEntryRow(id=entry.id, memo=entry.memo, reference=reference))
        s.flush()  # the header first: postings reference it
        s.add_all(
            LedgerPostingRow(entry_id=entry.id, account=a, side=side, amount_minor=m, currency=c)
            for a, side, m, c in _lines(entry)
        )
        s.flush()
        return True

    def entry(self, entry_id: str) -> JournalEntry | None:
        """The booked entry ``entry_id``, or ``None``."""
        with self.db.session() as s:
            return _load(s, entry_id)

    def entries_for(self, reference: str) -> list[JournalEntry]:
        """Every entry booked with ``reference`` (a transfer or loan id), oldest first."""
        with self.db.session() as s:
            ids = s.scalars(
                select(LedgerEntryRow.id)
                .where(LedgerEntryRow.reference == reference)
                .order_by(LedgerEntryRow.created_at, LedgerEntryRow.id)
            ).all()
            return [e for e in (_load(s, i) for i in ids) if e is not None]

    def balance(self, account: str, ccy: Currency | str) -> Money:
        """The account's balance in one currency, debits positive."""
        cur = ccy if isinstance(ccy, Currency) else currency(ccy)
        with self.db.session() as s:
            total = s.scalar(
                select(func.coalesce(func.sum(_signed), 0)).where(
                    LedgerPostingRow.account == account, LedgerPostingRow.currency == cur.code
                )
            )
        return Money(int(total or 0), cur)

    def balances(self) -> dict[tuple[Account, Currency], int]:
        """Every account's balance per currency, debits positive (zero balances included)."""
        with self.db.session() as s:
            rows = s.execute(
                select(
                    LedgerPostingRow.account, LedgerPostingRow.currency, func.sum(_signed)
                ).group_by(LedgerPostingRow.account, LedgerPostingRow.currency)
            ).all()
        return {(Account(a), currency(c)): int(total) for a, c, total in rows}

    def trial_balance(self) -> TrialBalance:
        """Debit and credit totals per currency over every posting."""
        with self.db.session() as s:
            rows = s.execute(
                select(
                    LedgerPostingRow.currency,
                    LedgerPostingRow.side,
                    func.sum(LedgerPostingRow.amount_minor),
                ).group_by(LedgerPostingRow.currency, LedgerPostingRow.side)
            ).all()
        sums: dict[str, dict[str, int]] = defaultdict(lambda: {"debit": 0, "credit": 0})
        for code, side, total in rows:
            sums[code][side] = int(total)
        return TrialBalance(
            tuple(
                CurrencyTotals(currency(code), by_side["debit"], by_side["credit"])
                for code, by_side in sorted(sums.items())
            )
        )


_signed = case(
    (LedgerPostingRow.side == Side.DEBIT.value, LedgerPostingRow.amount_minor),
    else_=-LedgerPostingRow.amount_minor,
)


def _posting(row: LedgerPostingRow) -> Posting:
    amount = Money(row.amount_minor, currency(row.currency))
    return Posting(Account(row.account), amount, Side(row.side))


def _load(s: Session, entry_id: str) -> JournalEntry | None:
    header = s.get(LedgerEntryRow, entry_id)
    if header is None:
        return None
    rows = s.scalars(
        select(LedgerPostingRow)
        .where(LedgerPostingRow.entry_id == entry_id)
        .order_by(LedgerPostingRow.id)
    ).all()
    return JournalEntry(header.id, tuple(_posting(r) for r in rows), header.memo)


def _compare_stored(s: Session, entry: JournalEntry) -> bool | None:
    """``None`` if the id is new, ``True`` if stored identically; raise on a conflict."""
    stored = _load(s, entry.id)
    if stored is None:
        return None
    if Counter(_lines(stored)) != Counter(_lines(entry)) or stored.memo != entry.memo:
        raise LedgerConflict(
            f"journal entry {entry.id!r} is already booked with different postings or memo",
            hint="Entries are append-only: book a correcting entry under a new id.",
        )
    return True
