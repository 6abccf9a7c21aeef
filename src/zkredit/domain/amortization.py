"""Amortised annuity schedules, with exact rational arithmetic.

The monthly payment is ``P·r / (1 − (1 + r)^−n)`` with ``r = APR / 12``, computed
as a :class:`~fractions.Fraction` and rounded half-up once. Each month's interest
is ``balance × r`` rounded half-up once; the principal part is the payment minus
that interest. The last installment repays whatever balance is left, so the
rounding of the regular payment is absorbed there and the balance ends at exactly 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from zkredit.domain.money import Money
from zkredit.domain.rounding import BPS_DENOMINATOR, round_half_up
from zkredit.errors import InputError

MONTHS_PER_YEAR = 12
MAX_TERM_MONTHS = 480


@dataclass(frozen=True)
class Installment:
    """One monthly payment: how it splits, and the balance left after it."""

    number: int
    payment: Money
    principal: Money
    interest: Money
    balance: Money


@dataclass(frozen=True)
class Schedule:
    """A full repayment schedule for ``principal`` at ``apr_bps`` over ``term_months``."""

    principal: Money
    apr_bps: int
    term_months: int
    monthly_payment: Money
    installments: tuple[Installment, ...]

    @property
    def total_interest(self) -> Money:
        """The sum of the interest parts: the cost of the credit."""
        return _sum((i.interest for i in self.installments), self.principal)

    @property
    def total_repayable(self) -> Money:
        """The sum of every payment: principal plus total interest."""
        return _sum((i.payment for i in self.installments), self.principal)


def monthly_rate(apr_bps: int) -> Fraction:
    """The exact monthly rate ``apr_bps / 10 000 / 12``."""
    return Fraction(apr_bps, BPS_DENOMINATOR * MONTHS_PER_YEAR)


def exact_payment(principal_minor: int, apr_bps: int, months: int) -> Fraction:
    """The annuity payment in minor units, exact (before rounding)."""
    rate = monthly_rate(apr_bps)
    if rate == 0:
        return Fraction(principal_minor, months)
    growth = (1 + rate) ** months
    return principal_minor * rate * growth / (growth - 1)


def amortise(principal: Money, apr_bps: int, months: int) -> Schedule:
    """The annuity schedule of ``principal`` at ``apr_bps`` over ``months`` monthly payments."""
    _check(principal, apr_bps, months)
    rate = monthly_rate(apr_bps)
    payment = round_half_up(exact_payment(principal.minor, apr_bps, months))
    balance = principal.minor
    rows: list[Installment] = []
    for number in range(1, months + 1):
        interest = round_half_up(balance * rate)
        last = number == months
        principal_part = balance if last else payment - interest
        balance -= principal_part
        rows.append(
            Installment(
                number=number,
                payment=_money(principal_part + interest, principal),
                principal=_money(principal_part, principal),
                interest=_money(interest, principal),
                balance=_money(balance, principal),
            )
        )
    return Schedule(principal, apr_bps, months, _money(payment, principal), tuple(rows))


def _check(principal: Money, apr_bps: int, months: int) -> None:
    if principal.minor <= 0:
        raise InputError(f"the loan principal must be positive. Got {principal}")
    if isinstance(apr_bps, bool) or not isinstance(apr_bps, int) or apr_bps < 0:
        raise InputError(f"the APR is a non-negative integer number of bp. Got {apr_bps!r}")
    if isinstance(months, bool) or not isinstance(months, int):
        raise InputError(f"the term is an integer number of months. Got {months!r}")
    if not 1 <= months <= MAX_TERM_MONTHS:
        raise InputError(f"the term must be 1 to {MAX_TERM_MONTHS} months. Got {months}")


def _money(minor: int, like: Money) -> Money:
    return Money(minor, like.currency)


def _sum(amounts: Iterable[Money], like: Money) -> Money:
    return Money(sum(a.minor for a in amounts), like.currency)
