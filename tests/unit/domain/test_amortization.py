"""Annuity schedules: exact rationals, rounding once per amount, balance ending at 0."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkredit.domain.amortization import amortise, exact_payment
from zkredit.domain.money import Money
from zkredit.errors import InputError


def closed_form_payment(principal_minor: int, apr_bps: int, months: int) -> int:
    """M = P·r / (1 − (1 + r)^−n), evaluated independently with 80-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 80
        r = Decimal(apr_bps) / Decimal(10_000) / Decimal(12)
        m = Decimal(principal_minor) * r / (1 - (1 + r) ** -months)
        return int(m.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_scenario_2_payment_and_totals() -> None:
    """Samuel: NGN 2,500,000 over 24 months at 1000 bp."""
    schedule = amortise(Money.of(2_500_000, "NGN"), 1_000, 24)
    assert schedule.monthly_payment == Money(11_536_232, schedule.principal.currency)
    assert closed_form_payment(250_000_000, 1_000, 24) == 11_536_232
    first, last = schedule.installments[0], schedule.installments[-1]
    # Month 1 interest: 250,000,000 × 0.10 / 12 = 2,083,333.33… → 2,083,333.
    assert (first.interest.minor, first.principal.minor, first.balance.minor) == (
        2_083_333,
        9_452_899,
        240_547_101,
    )
    assert (last.number, last.payment.minor, last.balance.minor) == (24, 11_536_220, 0)
    assert schedule.total_interest.minor == 26_869_556
    assert schedule.total_repayable.minor == 276_869_556
    assert schedule.total_repayable.minor == 23 * 11_536_232 + 11_536_220
    # Closed form: n·M − P with the exact annuity is 26,869,558.0…; rounding each month's
    # interest moves the total by at most half a kobo a month.
    with localcontext() as ctx:
        ctx.prec = 80
        r = Decimal(1_000) / Decimal(120_000)
        exact_m = Decimal(250_000_000) * r / (1 - (1 + r) ** -24)
        exact_interest = 24 * exact_m - 250_000_000
    assert abs(Decimal(schedule.total_interest.minor) - exact_interest) <= 12


@pytest.mark.parametrize(
    ("principal", "apr_bps", "months", "payment"),
    [
        (100_000, 1_200, 12, 8_885),  # 1000.00 at 12 % over a year: 88.85
        (1_200, 0, 12, 100),
        (1_000, 0, 3, 333),  # 333.33 → 333; the last installment pays 334
        (500_000, 800, 1, 503_333),  # one month: principal + one month's interest
    ],
)
def test_payment_table(principal: int, apr_bps: int, months: int, payment: int) -> None:
    schedule = amortise(Money(principal, Money.of(1, "USD").currency), apr_bps, months)
    assert schedule.monthly_payment.minor == payment
    if apr_bps:
        assert closed_form_payment(principal, apr_bps, months) == payment


@given(
    principal=st.integers(1, 10**13),
    apr_bps=st.integers(0, 5_000),
    months=st.integers(1, 360),
)
def test_schedule_sums_are_exact(principal: int, apr_bps: int, months: int) -> None:
    schedule = amortise(Money(principal, Money.of(1, "NGN").currency), apr_bps, months)
    rows = schedule.installments
    assert len(rows) == months
    assert [r.number for r in rows] == list(range(1, months + 1))
    assert sum(r.principal.minor for r in rows) == principal
    assert rows[-1].balance.minor == 0
    assert all(r.payment.minor == r.principal.minor + r.interest.minor for r in rows)
    assert all(r.payment == schedule.monthly_payment for r in rows[:-1])
    assert schedule.total_repayable.minor == principal + schedule.total_interest.minor
    assert all(type(r.interest.minor) is int for r in rows)
    # The rounded payment is within half a minor unit of the exact annuity.
    exact = exact_payment(principal, apr_bps, months)
    assert abs(schedule.monthly_payment.minor - exact) <= Fraction(1, 2)


@pytest.mark.parametrize(
    ("principal", "apr_bps", "months", "message"),
    [
        (0, 1_000, 12, "principal must be positive"),
        (100, -1, 12, "non-negative integer"),
        (100, 1_000, 0, "1 to 480 months"),
        (100, 1_000, 481, "1 to 480 months"),
    ],
)
def test_amortise_refuses(principal: int, apr_bps: int, months: int, message: str) -> None:
    with pytest.raises(InputError, match=message):
        amortise(Money(principal, Money.of(1, "NGN").currency), apr_bps, months)
