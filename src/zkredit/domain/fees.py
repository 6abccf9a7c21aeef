"""Corridor fee schedule: ``flat + pct_bps × principal`` per route, each route with its ETA.

A corridor is a (source currency, destination currency) pair. It carries the FX
markup applied on it and the routes it offers (bank transfer, mobile money, cash
pickup). Fees are charged in the source currency on top of the principal.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from zkredit.domain import datafiles as df
from zkredit.domain.errors import DataFileError, UnknownCorridorError
from zkredit.domain.money import Currency, Money, currency
from zkredit.domain.rounding import BPS_DENOMINATOR, apply_bps
from zkredit.errors import InputError

CORRIDORS_FILE = "corridors.json"


class Route(StrEnum):
    """How the recipient is paid."""

    BANK_TRANSFER = "bank_transfer"
    MOBILE_MONEY = "mobile_money"
    CASH_PICKUP = "cash_pickup"


@dataclass(frozen=True)
class FeeBreakdown:
    """The fee of one transfer: flat part, percentage part and their total (source currency)."""

    flat: Money
    pct_bps: int
    percentage: Money

    @property
    def total(self) -> Money:
        """``flat + percentage``."""
        return self.flat + self.percentage


@dataclass(frozen=True)
class RouteFee:
    """The price and speed of one route on a corridor."""

    route: Route
    flat: Money
    pct_bps: int
    eta: timedelta

    def __post_init__(self) -> None:
        if self.flat.minor < 0:
            raise InputError(f"{self.route}: the flat fee must not be negative. Got {self.flat}")
        if not 0 <= self.pct_bps < BPS_DENOMINATOR:
            raise InputError(f"{self.route}: pct_bps must be in [0, 10000). Got {self.pct_bps}")
        if self.eta <= timedelta(0):
            raise InputError(f"{self.route}: the ETA must be positive. Got {self.eta}")

    def fee_for(self, principal: Money) -> FeeBreakdown:
        """The fee on ``principal``: flat plus ``pct_bps`` of it, the percentage rounded half-up."""
        if principal.currency != self.flat.currency:
            raise InputError(
                f"the {self.route} fee is priced in {self.flat.currency}. Got {principal}"
            )
        if principal.minor <= 0:
            raise InputError(f"the principal must be positive. Got {principal}")
        percentage = Money(apply_bps(principal.minor, self.pct_bps), principal.currency)
        return FeeBreakdown(self.flat, self.pct_bps, percentage)


@dataclass(frozen=True)
class Corridor:
    """A currency pair the provider serves: its FX markup and its routes."""

    source: Currency
    destination: Currency
    markup_bps: int
    routes: tuple[RouteFee, ...]

    @property
    def key(self) -> str:
        """``"SGD->PHP"``."""
        return f"{self.source}->{self.destination}"

    def route(self, route: Route) -> RouteFee:
        """The fee of ``route``; raise :class:`UnknownCorridorError` if not offered."""
        for fee in self.routes:
            if fee.route is route:
                return fee
        offered = ", ".join(f.route.value for f in self.routes)
        raise UnknownCorridorError(
            f"route {route.value} is not offered on {self.key}", hint=f"offered: {offered}"
        )


@dataclass(frozen=True)
class FeeSchedule:
    """All corridors and their route fees."""

    corridors: tuple[Corridor, ...]

    @classmethod
    def packaged(cls) -> FeeSchedule:
        """The demo schedule shipped as ``zkredit/data/corridors.json``."""
        return _schedule_from_json(df.read_packaged_json(CORRIDORS_FILE), CORRIDORS_FILE)

    @classmethod
    def from_json_text(cls, text: str, *, where: str = CORRIDORS_FILE) -> FeeSchedule:
        """A schedule from JSON text in the format of ``corridors.json``."""
        return _schedule_from_json(df.parse_json(text, where), where)

    def corridor(self, source: Currency, destination: Currency) -> Corridor:
        """The corridor ``source → destination``; suggests close ones when unknown."""
        for corridor in self.corridors:
            if corridor.source == source and corridor.destination == destination:
                return corridor
        keys = [c.key for c in self.corridors]
        wanted = f"{source}->{destination}"
        close = difflib.get_close_matches(wanted, keys, n=3, cutoff=0.5)
        hint = f"Did you mean {' or '.join(close)}?" if close else f"known: {', '.join(keys)}"
        raise UnknownCorridorError(f"no corridor {wanted} in the fee schedule", hint=hint)

    def route_fee(self, source: Currency, destination: Currency, route: Route) -> RouteFee:
        """The fee of one route on one corridor."""
        return self.corridor(source, destination).route(route)


def _schedule_from_json(raw: object, where: str) -> FeeSchedule:
    root = df.as_object(raw, where)
    items = df.as_list(df.field(root, "corridors", where), f"{where}: corridors")
    corridors: list[Corridor] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        place = f"{where}: corridors[{i}]"
        try:
            corridor = _corridor_from_json(df.as_object(item, place), place)
        except InputError as exc:
            raise DataFileError(f"{place}: {exc.message}") from exc
        if corridor.key in seen:
            raise DataFileError(f"{place}: duplicate corridor {corridor.key}")
        seen.add(corridor.key)
        corridors.append(corridor)
    return FeeSchedule(tuple(corridors))


def _corridor_from_json(obj: df.JsonObject, place: str) -> Corridor:
    source = currency(df.as_str(df.field(obj, "source", place), f"{place}.source"))
    destination = currency(df.as_str(df.field(obj, "destination", place), f"{place}.destination"))
    markup = df.as_int(df.field(obj, "markup_bps", place), f"{place}.markup_bps")
    if markup >= BPS_DENOMINATOR:
        raise DataFileError(f"{place}.markup_bps: must be below 10000. Got {markup}")
    routes_obj = df.as_object(df.field(obj, "routes", place), f"{place}.routes")
    if not routes_obj:
        raise DataFileError(f"{place}.routes: a corridor needs at least one route")
    routes: list[RouteFee] = []
    for name, value in routes_obj.items():
        rplace = f"{place}.routes.{name}"
        try:
            route = Route(name)
        except ValueError as exc:
            known = ", ".join(r.value for r in Route)
            raise DataFileError(f"{rplace}: unknown route; known: {known}") from exc
        spec = df.as_object(value, rplace)
        flat = df.as_int(df.field(spec, "flat_minor", rplace), f"{rplace}.flat_minor")
        pct = df.as_int(df.field(spec, "pct_bps", rplace), f"{rplace}.pct_bps")
        eta = df.as_int(df.field(spec, "eta_seconds", rplace), f"{rplace}.eta_seconds", minimum=1)
        routes.append(RouteFee(route, Money(flat, source), pct, timedelta(seconds=eta)))
    return Corridor(source, destination, markup, tuple(routes))
