"""FX rates: exact parsing, conversion rounded once, the snapshot provider."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.domain.conftest import NOW
from zkredit.domain.errors import DataFileError, RateUnavailableError
from zkredit.domain.fx import FxRate, SnapshotRateProvider, convert, convert_exact, parse_decimal
from zkredit.domain.money import Currency, Money, currency
from zkredit.errors import InputError

USD, SGD, PHP, NGN = (currency(c) for c in ("USD", "SGD", "PHP", "NGN"))
SNAPSHOT_CODES = ("USD", "SGD", "PHP", "NGN", "EUR", "GBP", "KES", "MXN", "INR", "AED")
SNAPSHOT: dict[str, Any] = {
    "source": "test",
    "as_of": "2026-11-25T00:00:00Z",
    "pivot": "USD",
    "rates": {"USD": "1", "SGD": "1.25", "PHP": "60"},
}


@pytest.mark.parametrize(
    ("text", "value"),
    [("58.40", Fraction(292, 5)), ("1", Fraction(1)), ("0.8620", Fraction(431, 500))],
)
def test_parse_decimal(text: str, value: Fraction) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["", "1e3", "-1", "+1", " 1", "1/3", "1.", ".5", "nan", "1,5"])
def test_parse_decimal_refuses(text: str) -> None:
    with pytest.raises(InputError, match="plain decimal"):
        parse_decimal(text)


def test_rate_refuses_float_zero_and_naive_time() -> None:
    with pytest.raises(InputError, match="exact Fraction"):
        FxRate(SGD, PHP, 45.09, NOW)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="positive"):
        FxRate(SGD, PHP, Fraction(0), NOW)
    with pytest.raises(InputError, match="timezone-aware"):
        FxRate(SGD, PHP, Fraction(45), datetime(2026, 11, 25))


def test_snapshot_has_every_currency_and_derives_cross_rates_via_usd(
    rates: SnapshotRateProvider,
) -> None:
    assert tuple(c.code for c in rates.currencies) == SNAPSHOT_CODES
    sgd_php = rates.mid_rate(SGD, PHP, NOW)
    assert sgd_php.rate == Fraction("58.40") / Fraction("1.2950") == Fraction(11680, 259)
    assert str(sgd_php) == "1 SGD = 45.096525 PHP"
    assert rates.mid_rate(PHP, SGD, NOW).rate == 1 / sgd_php.rate
    assert rates.mid_rate(USD, NGN, NOW).rate == 1465
    assert rates.mid_rate(SGD, SGD, NOW).rate == 1
    assert sgd_php.as_of == datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "base", "quote", "expected"),
    [
        (Money.of(100, "SGD"), "SGD", "PHP", Money(450_965, PHP)),  # 4509.6525 -> 4509.65
        (Money(33_429, SGD), "SGD", "PHP", Money(1_507_532, PHP)),  # 15075.317... at mid
        (Money.of(1_000, "USD"), "USD", "NGN", Money.of(1_465_000, "NGN")),
        (Money.of(15_000, "PHP"), "PHP", "USD", Money(25_685, USD)),  # 256.849... -> 256.85
        (Money(1, PHP), "PHP", "USD", Money(0, USD)),
    ],
)
def test_convert_table(
    rates: SnapshotRateProvider, amount: Money, base: str, quote: str, expected: Money
) -> None:
    assert convert(amount, rates.mid_rate(currency(base), currency(quote), NOW)) == expected


def test_convert_rounds_half_up_once() -> None:
    rate = FxRate(SGD, PHP, Fraction(1, 2), NOW)
    assert convert(Money(1, SGD), rate) == Money(1, PHP)  # 0.5 -> 1
    assert convert(Money(-1, SGD), rate) == Money(-1, PHP)  # -0.5 -> -1 (mirrors)
    assert convert(Money(3, SGD), rate) == Money(2, PHP)  # 1.5 -> 2


def test_convert_handles_different_exponents() -> None:
    jpy = Currency("JPY", 392, 0)
    rate = FxRate(USD, jpy, Fraction("150.25"), NOW)
    assert convert(Money(1_99, USD), rate) == Money(299, jpy)  # 1.99 * 150.25 = 298.9975
    assert convert(Money(299, jpy), rate.inverse()) == Money(199, USD)  # 1.99001...


def test_convert_refuses_the_wrong_currency(rates: SnapshotRateProvider) -> None:
    with pytest.raises(InputError, match="cannot convert PHP with a SGD->PHP rate"):
        convert(Money(1, PHP), rates.mid_rate(SGD, PHP, NOW))


@given(
    minor=st.integers(-(10**15), 10**15),
    pair=st.tuples(st.sampled_from(SNAPSHOT_CODES), st.sampled_from(SNAPSHOT_CODES)),
)
def test_conversions_are_integers_rounded_half_up_once(minor: int, pair: tuple[str, str]) -> None:
    rates = SnapshotRateProvider.packaged()
    base, quote = currency(pair[0]), currency(pair[1])
    rate = rates.mid_rate(base, quote, NOW)
    result = convert(Money(minor, base), rate)
    assert type(result.minor) is int
    assert result.currency == quote
    # Independently: the exact value from the file's decimal strings, half-up by floor(|x| + 1/2).
    raw = json.loads(_snapshot_text())["rates"]
    exact = Fraction(minor) * Fraction(raw[quote.code]) / Fraction(raw[base.code])
    assert convert_exact(Money(minor, base), rate) == exact
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    assert result.minor == (magnitude if exact >= 0 else -magnitude)


def _snapshot_text() -> str:
    return (resources.files("zkredit") / "data" / "fx_snapshot.json").read_text()


def test_markup_lowers_the_customer_rate_exactly(rates: SnapshotRateProvider) -> None:
    mid = rates.mid_rate(SGD, PHP, NOW)
    customer = mid.with_markup(50)
    assert customer.rate == mid.rate * Fraction(9950, 10000)
    assert customer.decimal(6) == "44.871042"
    for bad in (-1, 10_000):
        with pytest.raises(InputError, match="markup must be in"):
            mid.with_markup(bad)


def test_unknown_currency_and_stale_snapshot() -> None:
    provider = SnapshotRateProvider.from_json_text(json.dumps(SNAPSHOT), max_age=timedelta(days=1))
    with pytest.raises(RateUnavailableError, match="NGN not in snapshot") as info:
        provider.mid_rate(SGD, NGN, NOW)
    assert info.value.hint == "the snapshot quotes USD, SGD, PHP"
    later = datetime(2026, 11, 27, tzinfo=UTC)
    with pytest.raises(RateUnavailableError, match="more than 1 day"):
        provider.mid_rate(SGD, PHP, later)
    assert provider.mid_rate(SGD, PHP, NOW).rate == 48


def _tampered(**changes: Any) -> str:
    doc = json.loads(json.dumps(SNAPSHOT))
    for key, value in changes.items():
        if value is None:
            del doc[key]
        else:
            doc[key] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "invalid JSON"),
        ("[]", "expected an object"),
        (_tampered(as_of=None), "missing key 'as_of'"),
        (_tampered(as_of="2026-11-25T00:00:00"), "not an aware ISO 8601"),
        (_tampered(as_of="yesterday"), "not an aware ISO 8601"),
        (_tampered(rates={"USD": "1", "SGD": 1.25}), "rates.SGD"),
        (_tampered(rates={"USD": "1", "SGD": "1.2e0"}), "plain decimal"),
        (_tampered(rates={"USD": "1", "SGD": "0"}), "must be positive"),
        (_tampered(rates={"USD": "1", "XXX": "2"}), "unsupported currency 'XXX'"),
        (_tampered(rates={"USD": "2"}), "pivot USD must be quoted at exactly 1"),
        (_tampered(pivot="SGD"), "pivot SGD must be quoted at exactly 1"),
        (_tampered(source=None), "missing key 'source'"),
    ],
)
def test_snapshot_tamper_table(text: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        SnapshotRateProvider.from_json_text(text)
