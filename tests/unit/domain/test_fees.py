"""Corridor fee schedule: flat + pct of the amount, per route, with ETAs."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkredit.domain.errors import DataFileError, UnknownCorridorError
from zkredit.domain.fees import FeeSchedule, Route
from zkredit.domain.money import Money, currency
from zkredit.errors import InputError

SGD, PHP, USD, NGN, MXN = (currency(c) for c in ("SGD", "PHP", "USD", "NGN", "MXN"))
DEMO_CORRIDORS = [
    "SGD->PHP",
    "USD->PHP",
    "GBP->NGN",
    "SGD->NGN",
    "USD->MXN",
    "USD->KES",
    "AED->INR",
]


def test_demo_corridors(schedule: FeeSchedule) -> None:
    assert [c.key for c in schedule.corridors] == DEMO_CORRIDORS
    sgd_php = schedule.corridor(SGD, PHP)
    assert sgd_php.markup_bps == 50
    assert [f.route for f in sgd_php.routes] == list(Route)


@pytest.mark.parametrize(
    ("source", "dest", "route", "principal", "flat", "pct", "total", "eta"),
    [
        ("SGD", "PHP", Route.BANK_TRANSFER, 33_429, 200, 167, 367, timedelta(hours=1)),
        ("SGD", "PHP", Route.BANK_TRANSFER, 100_000, 200, 500, 700, timedelta(hours=1)),
        ("SGD", "PHP", Route.MOBILE_MONEY, 33_429, 150, 201, 351, timedelta(minutes=15)),
        ("SGD", "PHP", Route.CASH_PICKUP, 33_429, 300, 267, 567, timedelta(hours=4)),
        ("USD", "PHP", Route.BANK_TRANSFER, 20_000, 299, 80, 379, timedelta(days=1)),
        ("USD", "MXN", Route.CASH_PICKUP, 20_000, 299, 140, 439, timedelta(hours=2)),
        ("GBP", "NGN", Route.MOBILE_MONEY, 15_000, 100, 105, 205, timedelta(hours=1)),
        ("SGD", "NGN", Route.BANK_TRANSFER, 1, 300, 0, 300, timedelta(days=2)),
    ],
)
def test_fee_table(
    schedule: FeeSchedule,
    source: str,
    dest: str,
    route: Route,
    principal: int,
    flat: int,
    pct: int,
    total: int,
    eta: timedelta,
) -> None:
    src = currency(source)
    fee_rule = schedule.route_fee(src, currency(dest), route)
    fee = fee_rule.fee_for(Money(principal, src))
    assert (fee.flat.minor, fee.percentage.minor, fee.total.minor) == (flat, pct, total)
    assert fee.total.currency == src
    assert fee_rule.eta == eta


@given(st.integers(1, 10**12), st.integers(1, 10**12))
def test_fees_grow_with_the_amount(a: int, b: int) -> None:
    rule = FeeSchedule.packaged().route_fee(SGD, PHP, Route.BANK_TRANSFER)
    low, high = sorted((a, b))
    assert rule.fee_for(Money(low, SGD)).total.minor <= rule.fee_for(Money(high, SGD)).total.minor
    assert rule.fee_for(Money(high, SGD)).percentage.minor == (high * 50 * 2 + 10_000) // 20_000


def test_fee_refuses_bad_principals(schedule: FeeSchedule) -> None:
    rule = schedule.route_fee(SGD, PHP, Route.BANK_TRANSFER)
    with pytest.raises(InputError, match="priced in SGD"):
        rule.fee_for(Money(100, USD))
    with pytest.raises(InputError, match="must be positive"):
        rule.fee_for(Money(0, SGD))


def test_unknown_corridor_suggests_close_ones(schedule: FeeSchedule) -> None:
    with pytest.raises(UnknownCorridorError, match="no corridor SGD->MXN") as info:
        schedule.corridor(SGD, MXN)
    assert info.value.hint is not None and info.value.hint.startswith("Did you mean")
    assert "SGD->PHP" in info.value.hint or "USD->MXN" in info.value.hint


def test_route_not_offered(schedule: FeeSchedule) -> None:
    with pytest.raises(UnknownCorridorError, match="cash_pickup is not offered") as info:
        schedule.route_fee(currency("GBP"), NGN, Route.CASH_PICKUP)
    assert info.value.hint == "offered: bank_transfer, mobile_money"


BASE: dict[str, Any] = {
    "corridors": [
        {
            "source": "SGD",
            "destination": "PHP",
            "markup_bps": 50,
            "routes": {"bank_transfer": {"flat_minor": 200, "pct_bps": 50, "eta_seconds": 60}},
        }
    ]
}


def _tamper(path: list[str | int], value: Any) -> str:
    doc = json.loads(json.dumps(BASE))
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return json.dumps(doc)


ROUTE: list[str | int] = ["corridors", 0, "routes", "bank_transfer"]


def test_baseline_parses() -> None:
    schedule = FeeSchedule.from_json_text(json.dumps(BASE))
    assert schedule.route_fee(SGD, PHP, Route.BANK_TRANSFER).eta == timedelta(seconds=60)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_tamper(["corridors"], KeyError), "missing key 'corridors'"),
        (_tamper(["corridors", 0, "source"], "XYZ"), "unsupported currency 'XYZ'"),
        (_tamper(["corridors", 0, "markup_bps"], -1), "markup_bps: expected an integer ≥ 0"),
        (_tamper(["corridors", 0, "markup_bps"], 10_000), "must be below 10000"),
        (_tamper(["corridors", 0, "markup_bps"], 0.5), "expected an integer"),
        (_tamper(["corridors", 0, "routes"], {}), "at least one route"),
        (_tamper(["corridors", 0, "routes", "teleport"], {}), "unknown route"),
        (_tamper([*ROUTE, "flat_minor"], 1.5), "flat_minor: expected an integer"),
        (_tamper([*ROUTE, "flat_minor"], True), "flat_minor: expected an integer"),
        (_tamper([*ROUTE, "pct_bps"], 10_000), "pct_bps must be in"),
        (_tamper([*ROUTE, "eta_seconds"], 0), "eta_seconds: expected an integer ≥ 1"),
        (_tamper([*ROUTE, "eta_seconds"], KeyError), "missing key 'eta_seconds'"),
        (
            json.dumps({"corridors": BASE["corridors"] * 2}),
            "duplicate corridor SGD->PHP",
        ),
    ],
)
def test_schedule_tamper_table(text: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        FeeSchedule.from_json_text(text)
