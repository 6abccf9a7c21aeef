"""Rolling limits: sums across transactions, per window, by KYC level."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.domain.conftest import NOW
from zkredit.domain.fx import SnapshotRateProvider
from zkredit.domain.limits import KycLevel, check_limits
from zkredit.domain.money import Money, currency
from zkredit.errors import InputError

USD = currency("USD")
H = timedelta(hours=1)
D = timedelta(days=1)


def usd(major: int) -> Money:
    return Money.of(major, "USD")


History = list[tuple[datetime, Money]]


@pytest.mark.parametrize(
    ("history", "new", "level", "allowed"),
    [
        ([], usd(1_000), KycLevel.BASIC, True),  # reaching the limit exactly is allowed
        ([], Money(100_001, USD), KycLevel.BASIC, False),
        ([(NOW - H, usd(600))], usd(400), KycLevel.BASIC, True),
        ([(NOW - H, usd(600))], usd(401), KycLevel.BASIC, False),
        ([(NOW - 2 * D, usd(900))], usd(900), KycLevel.BASIC, True),  # outside 24 h
        ([(NOW - 24 * H, usd(900))], usd(900), KycLevel.BASIC, True),  # exactly 24 h ago: out
        ([(NOW - 24 * H + timedelta(seconds=1), usd(900))], usd(900), KycLevel.BASIC, False),
        ([(NOW - i * D, usd(900)) for i in range(1, 6)], usd(600), KycLevel.BASIC, False),
        ([(NOW - i * D, usd(900)) for i in range(1, 6)], usd(500), KycLevel.BASIC, True),
        ([(NOW - 30 * D, usd(4_000))], usd(1_000), KycLevel.BASIC, True),  # outside 30 days
        ([(NOW - H, usd(9_000))], usd(1_000), KycLevel.ENHANCED, True),
        ([(NOW - H, usd(9_000))], usd(1_001), KycLevel.ENHANCED, False),
        ([(NOW - i * D, usd(9_000)) for i in range(1, 6)], usd(5_001), KycLevel.ENHANCED, False),
        ([(NOW + H, usd(900))], usd(200), KycLevel.BASIC, False),  # clock skew still counts
    ],
)
def test_limit_table(
    rates: SnapshotRateProvider, history: History, new: Money, level: KycLevel, allowed: bool
) -> None:
    assert check_limits(history, new, level, NOW, rates).allowed is allowed


def test_two_transfers_each_under_the_daily_limit_are_refused_together(
    rates: SnapshotRateProvider,
) -> None:
    first = usd(700)
    assert check_limits([], first, 1, NOW - 2 * H, rates).allowed
    decision = check_limits([(NOW - 2 * H, first)], usd(700), 1, NOW, rates)
    assert not decision.allowed
    assert [u.window.name for u in decision.exceeded] == ["24-hour"]
    assert decision.reason == (
        "refused for KYC level basic: 24-hour limit USD 1,000.00: used USD 700.00, "
        "attempted USD 700.00, total USD 1,400.00 exceeds the limit"
    )
    day = decision.windows[0]
    assert (day.used, day.attempted, day.total, day.remaining) == (
        usd(700),
        usd(700),
        usd(1_400),
        usd(300),
    )


def test_amounts_in_other_currencies_are_converted_and_summed(
    rates: SnapshotRateProvider,
) -> None:
    # SGD 647.50 = USD 500 exactly (1 USD = 1.2950 SGD); PHP 29,200 = USD 500 exactly.
    history = [
        (NOW - 3 * H, Money(64_750, currency("SGD"))),
        (NOW - 2 * H, Money.of(29_200, "PHP")),
    ]
    at_limit = check_limits(history, Money(1, currency("NGN")), 1, NOW, rates)
    assert at_limit.windows[0].used == usd(1_000)
    assert at_limit.windows[0].attempted == Money(0, USD)  # NGN 0.01 rounds to 0
    assert at_limit.allowed  # the exact total 1000.0000068 rounds to USD 1,000.00
    over = check_limits(history, Money.of(8, "NGN"), 1, NOW, rates)  # USD 0.0054... -> 0.01
    assert not over.allowed
    assert "total USD 1,000.01" in over.reason


def test_both_windows_are_named_when_both_are_exceeded(rates: SnapshotRateProvider) -> None:
    history = [(NOW - H, usd(900)), *((NOW - i * D, usd(1_000)) for i in range(2, 6))]
    decision = check_limits(history, usd(200), KycLevel.BASIC, NOW, rates)
    assert [u.window.name for u in decision.exceeded] == ["24-hour", "30-day"]
    assert "30-day limit USD 5,000.00: used USD 4,900.00" in decision.reason
    assert "total USD 5,100.00" in decision.reason


@pytest.mark.parametrize(
    ("history", "new", "level", "message"),
    [
        ([], usd(1), 0, "no remittance limits for KYC level 0"),
        ([], usd(1), 3, "no remittance limits for KYC level 3"),
        ([], usd(0), 1, "must be positive"),
        ([(NOW, usd(-1))], usd(1), 1, "history amounts must be positive"),
        ([(NOW.replace(tzinfo=None), usd(1))], usd(1), 1, "timezone-aware"),
    ],
)
def test_limit_inputs_refused(
    rates: SnapshotRateProvider, history: History, new: Money, level: int, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        check_limits(history, new, level, NOW, rates)


@given(st.lists(st.integers(1, 99_999), min_size=1, max_size=20))
def test_limits_sum_across_transactions(amounts: list[int]) -> None:
    """Whatever the split, the 24-hour window refuses iff the sum exceeds USD 1,000."""
    rates = SnapshotRateProvider.packaged()
    *earlier, new = amounts
    history = [(NOW - timedelta(minutes=i + 1), Money(a, USD)) for i, a in enumerate(earlier)]
    decision = check_limits(history, Money(new, USD), KycLevel.BASIC, NOW, rates)
    assert decision.allowed is (sum(amounts) <= 100_000)
