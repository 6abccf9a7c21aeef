"""Half-up integer rounding against decimal's ROUND_HALF_UP."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkredit.domain.rounding import (
    apply_bps,
    div_half_up,
    ratio_bps,
    round_half_up,
    to_decimal_str,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 7, 0),
        (5, 2, 3),
        (-5, 2, -3),
        (5, -2, -3),
        (-5, -2, 3),
        (7, 2, 4),
        (4, 3, 1),
        (5, 3, 2),
        (-4, 3, -1),
        (-5, 3, -2),
        (1, 3, 0),
        (-1, 3, 0),
        (149, 100, 1),
        (150, 100, 2),
        (-150, 100, -2),
        (10**30 + 1, 2, 5 * 10**29 + 1),
    ],
)
def test_div_half_up_table(numerator: int, denominator: int, expected: int) -> None:
    assert div_half_up(numerator, denominator) == expected


def test_div_half_up_refuses_zero_denominator() -> None:
    with pytest.raises(ZeroDivisionError, match="denominator is zero"):
        div_half_up(1, 0)


@given(st.integers(-(10**40), 10**40), st.integers(-(10**12), 10**12).filter(bool))
def test_div_half_up_matches_decimal(numerator: int, denominator: int) -> None:
    with localcontext() as ctx:
        ctx.prec = 200
        expected = (Decimal(numerator) / Decimal(denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    result = div_half_up(numerator, denominator)
    assert type(result) is int
    assert result == int(expected)


@given(st.integers(-(10**20), 10**20), st.integers(1, 10**9))
def test_div_half_up_is_symmetric(numerator: int, denominator: int) -> None:
    assert div_half_up(-numerator, denominator) == -div_half_up(numerator, denominator)


@pytest.mark.parametrize(
    ("amount", "bps", "expected"),
    [(33_429, 50, 167), (10_000, 1, 1), (5_000, 1, 1), (4_999, 1, 0), (0, 50, 0), (-5_000, 1, -1)],
)
def test_apply_bps(amount: int, bps: int, expected: int) -> None:
    assert apply_bps(amount, bps) == expected


def test_ratio_bps_and_round_half_up() -> None:
    assert ratio_bps(Fraction(1, 3), 100) == 33
    assert ratio_bps(534, 33_429) == 160
    assert round_half_up(Fraction(-5, 2)) == -3
    assert round_half_up(7) == 7
    with pytest.raises(ZeroDivisionError):
        ratio_bps(1, 0)


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Fraction(2, 3), 4, "0.6667"),
        (Fraction(11680, 259), 6, "45.096525"),
        (Fraction(-1, 8), 2, "-0.13"),
        (Fraction(5, 2), 0, "3"),
        (3, 2, "3.00"),
    ],
)
def test_to_decimal_str(value: Fraction | int, places: int, text: str) -> None:
    assert to_decimal_str(value, places) == text
