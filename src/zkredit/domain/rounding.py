"""Integer rounding, half-up, as DOMAIN.md prescribes for every amount and ratio.

"Half-up" rounds a tie away from zero (``ROUND_HALF_UP`` of :mod:`decimal`), so the
rounding of ``-x`` is always the negation of the rounding of ``x``: a refund or a
reversal mirrors the amount it undoes to the minor unit.
"""

from __future__ import annotations

from fractions import Fraction

BPS_DENOMINATOR = 10_000
"""Basis points per unit: 10 000 bp = 100 %."""


def div_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (ties away from zero), in integers only.

    >>> div_half_up(5, 2), div_half_up(-5, 2), div_half_up(7, -2), div_half_up(4, 3)
    (3, -3, -4, 1)
    """
    if denominator == 0:
        raise ZeroDivisionError("div_half_up: the denominator is zero")
    negative = (numerator < 0) != (denominator < 0)
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if 2 * remainder >= abs(denominator):
        quotient += 1
    return -quotient if negative else quotient


def round_half_up(value: Fraction | int) -> int:
    """An exact rational rounded half-up to an integer."""
    if isinstance(value, int):
        return value
    return div_half_up(value.numerator, value.denominator)


def apply_bps(amount: int, bps: int) -> int:
    """``amount × bps / 10 000`` rounded half-up once: the bp share of an amount."""
    return div_half_up(amount * bps, BPS_DENOMINATOR)


def ratio_bps(part: Fraction | int, whole: int) -> int:
    """``part / whole`` in basis points, rounded half-up once."""
    if whole == 0:
        raise ZeroDivisionError("ratio_bps: the whole is zero")
    return round_half_up(Fraction(part) * BPS_DENOMINATOR / whole)


def to_decimal_str(value: Fraction | int, places: int) -> str:
    """An exact rational as a decimal string with ``places`` digits, rounded half-up.

    Used to display rates; never parsed back into a computation.

    >>> to_decimal_str(Fraction(2, 3), 4)
    '0.6667'
    """
    if places < 0:
        raise ValueError(f"places must be non-negative. Got {places}")
    scaled = round_half_up(Fraction(value) * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"
