"""Quotes: scenario 1's numbers, the 3 % cost goal, the 60 s lock."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.domain.conftest import NOW
from zkredit.domain.fees import FeeSchedule, Route
from zkredit.domain.fx import SnapshotRateProvider, convert
from zkredit.domain.money import Money, currency
from zkredit.domain.quote import (
    QUOTE_LOCK,
    Quote,
    QuoteDirection,
    make_quote,
    make_quote_for_received,
)
from zkredit.errors import InputError

SGD, PHP, USD = currency("SGD"), currency("PHP"), currency("USD")


def maria_quote(rates: SnapshotRateProvider, schedule: FeeSchedule) -> Quote:
    """Scenario 1: Maria sends the SGD equivalent of PHP 15,000 by bank transfer."""
    return make_quote_for_received(
        provider=rates,
        schedule=schedule,
        source=SGD,
        received=Money.of(15_000, "PHP"),
        route=Route.BANK_TRANSFER,
        markup_bps=schedule.corridor(SGD, PHP).markup_bps,
        now=NOW,
    )


def test_scenario_1_numbers(rates: SnapshotRateProvider, schedule: FeeSchedule) -> None:
    quote = maria_quote(rates, schedule)
    assert quote.direction is QuoteDirection.RECEIVE
    assert quote.received == Money(1_500_000, PHP)
    assert quote.sent == Money(33_429, SGD)
    assert (quote.fee.flat, quote.fee.percentage, quote.fee.total) == (
        Money(200, SGD),
        Money(167, SGD),
        Money(367, SGD),
    )
    assert quote.total_debit == Money(33_796, SGD)
    assert quote.mid_rate.rate == Fraction(11680, 259)
    assert quote.markup_bps == 50
    assert quote.customer_rate.decimal(6) == "44.871042"
    assert quote.fx_cost == Money(167, SGD)
    assert quote.total_cost == Money(534, SGD)
    assert quote.total_cost_bps == 160
    assert quote.eta == timedelta(hours=1)
    assert quote.created_at == NOW
    assert quote.expires_at == NOW + timedelta(seconds=60)


def test_scenario_1_independently_with_decimal() -> None:
    """Recompute scenario 1 from the snapshot's decimal strings with decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 50
        mid = Decimal("58.40") / Decimal("1.2950")
        customer = mid * (Decimal(1) - Decimal(50) / Decimal(10_000))
        sent = (Decimal("15000.00") / customer).quantize(Decimal("0.01"), ROUND_HALF_UP)
        fee = Decimal("2.00") + (sent * Decimal("0.0050")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        fx_cost = sent - Decimal("15000.00") / mid
        cost_bps = ((fee + fx_cost) / sent * 10_000).quantize(Decimal(1), ROUND_HALF_UP)
    assert (sent, fee, cost_bps) == (Decimal("334.29"), Decimal("3.67"), Decimal(160))
    assert cost_bps < 300


def test_scenario_1_cost_is_under_3_percent(
    rates: SnapshotRateProvider, schedule: FeeSchedule
) -> None:
    quote = maria_quote(rates, schedule)
    assert quote.total_cost_bps < 300
    assert quote.total_cost.minor * 10_000 < 300 * quote.sent.minor


def corridor_cases() -> list[tuple[str, str, Route]]:
    schedule = FeeSchedule.packaged()
    return [
        (c.source.code, c.destination.code, fee.route)
        for c in schedule.corridors
        for fee in c.routes
    ]


@pytest.mark.parametrize(("source", "dest", "route"), corridor_cases())
def test_every_demo_route_meets_the_cost_goal_at_usd_200(
    rates: SnapshotRateProvider, schedule: FeeSchedule, source: str, dest: str, route: Route
) -> None:
    """UN SDG 10.c measures the cost of sending the equivalent of USD 200."""
    src = currency(source)
    principal = convert(Money.of(200, "USD"), rates.mid_rate(USD, src, NOW))
    quote = make_quote(
        provider=rates,
        schedule=schedule,
        principal=principal,
        destination=currency(dest),
        route=route,
        markup_bps=schedule.corridor(src, currency(dest)).markup_bps,
        now=NOW,
    )
    assert quote.total_cost_bps <= 300


def test_send_direction(rates: SnapshotRateProvider, schedule: FeeSchedule) -> None:
    quote = make_quote(
        provider=rates,
        schedule=schedule,
        principal=Money.of(500, "SGD"),
        destination=PHP,
        route=Route.MOBILE_MONEY,
        markup_bps=50,
        now=NOW,
    )
    # 50000 * 11680/259 * 0.995 = 2243552.123... centavos
    assert quote.direction is QuoteDirection.SEND
    assert quote.received == Money(2_243_552, PHP)
    assert quote.fee.total == Money(150 + 300, SGD)
    assert quote.fx_cost == Money(250, SGD)  # 50 bp of 500.00, to the centavo's worth
    assert quote.total_cost_bps == 140  # (450 + 250.00...) / 50000


def test_quote_lock_is_exactly_60_seconds(
    rates: SnapshotRateProvider, schedule: FeeSchedule
) -> None:
    quote = maria_quote(rates, schedule)
    assert timedelta(seconds=60) == QUOTE_LOCK
    assert not quote.is_expired(NOW)
    assert not quote.is_expired(NOW + timedelta(seconds=59, microseconds=999_999))
    assert quote.is_expired(NOW + timedelta(seconds=60))
    assert quote.is_expired(NOW + timedelta(seconds=61))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"principal": Money(0, SGD)}, "principal must be positive"),
        ({"destination": SGD}, "needs two currencies"),
        ({"markup_bps": 10_000}, "markup must be in"),
        ({"now": NOW.replace(tzinfo=None)}, "timezone-aware"),
    ],
)
def test_quote_refuses(
    rates: SnapshotRateProvider, schedule: FeeSchedule, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "provider": rates,
        "schedule": schedule,
        "principal": Money.of(100, "SGD"),
        "destination": PHP,
        "route": Route.BANK_TRANSFER,
        "markup_bps": 50,
        "now": NOW,
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        make_quote(**args)  # type: ignore[arg-type]


@given(
    target=st.integers(100, 10**11),
    markup=st.integers(0, 500),
    route=st.sampled_from(list(Route)),
)
def test_quote_for_received_pays_exactly_the_target(target: int, markup: int, route: Route) -> None:
    rates, schedule = SnapshotRateProvider.packaged(), FeeSchedule.packaged()
    quote = make_quote_for_received(
        provider=rates,
        schedule=schedule,
        source=SGD,
        received=Money(target, PHP),
        route=route,
        markup_bps=markup,
        now=NOW,
    )
    assert quote.received == Money(target, PHP)
    assert type(quote.sent.minor) is int and type(quote.total_cost_bps) is int
    # The principal is the price of the target rounded half-up: within half a cent.
    exact_price = Fraction(target) / quote.customer_rate.minor_rate
    assert abs(quote.sent.minor - exact_price) <= Fraction(1, 2)


def test_a_target_below_one_source_cent_is_refused(
    rates: SnapshotRateProvider, schedule: FeeSchedule
) -> None:
    with pytest.raises(InputError, match=r"PHP 0\.01 is worth less than one minor unit of SGD"):
        make_quote_for_received(
            provider=rates,
            schedule=schedule,
            source=SGD,
            received=Money(1, PHP),
            route=Route.BANK_TRANSFER,
            markup_bps=50,
            now=NOW,
        )


@given(principal=st.integers(1, 10**11), markup=st.integers(0, 500))
def test_quote_for_sent_converts_once(principal: int, markup: int) -> None:
    rates, schedule = SnapshotRateProvider.packaged(), FeeSchedule.packaged()
    quote = make_quote(
        provider=rates,
        schedule=schedule,
        principal=Money(principal, USD),
        destination=PHP,
        route=Route.BANK_TRANSFER,
        markup_bps=markup,
        now=NOW,
    )
    assert quote.received == convert(Money(principal, USD), quote.customer_rate)
    assert quote.total_debit.minor == principal + quote.fee.total.minor
