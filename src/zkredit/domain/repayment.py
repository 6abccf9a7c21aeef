"""Applying a repayment to an amortised schedule: partial, whole or several installments.

A payment of any amount is applied to the installments in order, interest before
principal within each, so a partial payment first settles the interest it owes.
What a repayment covers is a pure function of the schedule, what was paid before
and the amount: two repayments always split the same way, whatever order they
are booked in, and the sum of their parts equals what one payment of their total
would have booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from zkredit.errors import InputError


@dataclass(frozen=True)
class Installment:
    number: int
    interest: int
    principal: int

    @property
    def payment(self) -> int:
        return self.interest + self.principal


@dataclass(frozen=True)
class Allocation:
    """The interest and principal a repayment settles, and where the loan then stands."""

    interest: int
    principal: int
    installments_paid: int
    """Installments fully paid once this repayment is booked."""
    outstanding: int
    """What the borrower still owes after it (0: the loan is repaid)."""


def _settled(schedule: Sequence[Installment], paid: int) -> tuple[int, int, int]:
    """(interest, principal, whole installments) that ``paid`` minor units cover."""
    interest = principal = whole = 0
    left = paid
    for inst in schedule:
        i = min(left, inst.interest)
        p = min(left - i, inst.principal)
        interest, principal, left = interest + i, principal + p, left - i - p
        if i + p == inst.payment:
            whole += 1
        if left == 0:
            break
    return interest, principal, whole


def allocate(schedule: Sequence[Installment], paid_before: int, amount: int) -> Allocation:
    """Split ``amount`` paid after ``paid_before`` over ``schedule``.

    Raises :class:`InputError` for a non-positive amount or one above what is owed.
    """
    owed = sum(inst.payment for inst in schedule)
    if amount <= 0:
        raise InputError(f"a repayment must be a positive amount. Got {amount}")
    if paid_before + amount > owed:
        raise InputError(
            f"the repayment of {amount} exceeds the outstanding balance of {owed - paid_before}",
            hint="Pay at most the outstanding balance; the loan is then repaid.",
        )
    i0, p0, _ = _settled(schedule, paid_before)
    i1, p1, whole = _settled(schedule, paid_before + amount)
    return Allocation(i1 - i0, p1 - p0, whole, owed - paid_before - amount)


def due_date(start: dt.date, number: int) -> dt.date:
    """When installment ``number`` (1-based) falls due: ``number`` months after ``start``,
    on the same day or the month's last day."""
    month = start.month - 1 + number
    year, month = start.year + month // 12, month % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def is_late(schedule: Sequence[Installment], paid_before: int, start: dt.date,
            on: dt.date) -> bool:
    """Whether a payment on ``on`` comes after the first installment still unpaid was due."""
    _, _, whole = _settled(schedule, paid_before)
    if whole >= len(schedule):
        return False
    return on > due_date(start, schedule[whole].number)
