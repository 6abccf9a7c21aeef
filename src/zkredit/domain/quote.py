"""Remittance quotes: mid rate plus markup, corridor fee, received amount, 60 s lock.

Two ways to ask:

* :func:`make_quote` fixes the **sent** principal; the received amount is the
  principal at the customer rate, rounded half-up once.
* :func:`make_quote_for_received` fixes the **received** amount (Maria wants Juan
  to get exactly PHP 15,000.00); the principal is that amount's exact price at the
  customer rate, rounded half-up once to the source minor unit.

The fee is charged on top of the principal in the source currency. The total cost
is the fee plus the FX cost (the principal minus what the received amount is worth
at mid), expressed in bp of the principal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from zkredit.domain.fees import FeeBreakdown, FeeSchedule, Route
from zkredit.domain.fx import FxRate, RateProvider, convert_exact
from zkredit.domain.instant import require_aware
from zkredit.domain.money import Currency, Money
from zkredit.domain.rounding import ratio_bps, round_half_up
from zkredit.errors import InputError

QUOTE_LOCK = timedelta(seconds=60)
"""How long a quote's rate and fee are guaranteed (DOMAIN.md)."""


class QuoteDirection(StrEnum):
    """Which side of the quote the customer fixed."""

    SEND = "send"
    RECEIVE = "receive"


@dataclass(frozen=True)
class Quote:
    """A priced transfer, valid from ``created_at`` until just before ``expires_at``."""

    direction: QuoteDirection
    route: Route
    sent: Money
    fee: FeeBreakdown
    mid_rate: FxRate
    markup_bps: int
    customer_rate: FxRate
    received: Money
    eta: timedelta
    created_at: datetime
    expires_at: datetime
    fx_cost: Money
    total_cost_bps: int

    @property
    def total_debit(self) -> Money:
        """What the sender pays: principal plus fee."""
        return self.sent + self.fee.total

    @property
    def total_cost(self) -> Money:
        """Fee plus FX cost, in the source currency."""
        return self.fee.total + self.fx_cost

    def is_expired(self, now: datetime) -> bool:
        """True from ``expires_at`` on: the lock covers ``[created_at, created_at + 60 s)``."""
        return require_aware(now, "now") >= self.expires_at


def make_quote(
    *,
    provider: RateProvider,
    schedule: FeeSchedule,
    principal: Money,
    destination: Currency,
    route: Route,
    markup_bps: int,
    now: datetime,
) -> Quote:
    """Quote sending ``principal`` to ``destination`` by ``route`` at ``now``."""
    if principal.minor <= 0:
        raise InputError(f"the principal must be positive. Got {principal}")
    mid, customer = _rates(provider, principal.currency, destination, markup_bps, now)
    received = Money(round_half_up(convert_exact(principal, customer)), destination)
    return _assemble(
        QuoteDirection.SEND, schedule, principal, received, mid, customer, route, markup_bps, now
    )


def make_quote_for_received(
    *,
    provider: RateProvider,
    schedule: FeeSchedule,
    source: Currency,
    received: Money,
    route: Route,
    markup_bps: int,
    now: datetime,
) -> Quote:
    """Quote the principal in ``source`` that pays out exactly ``received`` by ``route``."""
    if received.minor <= 0:
        raise InputError(f"the received amount must be positive. Got {received}")
    mid, customer = _rates(provider, source, received.currency, markup_bps, now)
    principal = Money(round_half_up(received.minor / customer.minor_rate), source)
    if principal.minor <= 0:
        raise InputError(f"{received} is worth less than one minor unit of {source}")
    return _assemble(
        QuoteDirection.RECEIVE, schedule, principal, received, mid, customer, route, markup_bps, now
    )


def _rates(
    provider: RateProvider, source: Currency, destination: Currency, markup_bps: int, now: datetime
) -> tuple[FxRate, FxRate]:
    require_aware(now, "now")
    if source == destination:
        raise InputError(f"a remittance quote needs two currencies. Got {source} to {destination}")
    mid = provider.mid_rate(source, destination, now)
    return mid, mid.with_markup(markup_bps)


def _assemble(
    direction: QuoteDirection,
    schedule: FeeSchedule,
    principal: Money,
    received: Money,
    mid: FxRate,
    customer: FxRate,
    route: Route,
    markup_bps: int,
    now: datetime,
) -> Quote:
    route_fee = schedule.route_fee(principal.currency, received.currency, route)
    fee = route_fee.fee_for(principal)
    # What the received amount is worth at mid, in source minor units, exactly.
    fx_cost_exact = principal.minor - Fraction(received.minor) / mid.minor_rate
    return Quote(
        direction=direction,
        route=route,
        sent=principal,
        fee=fee,
        mid_rate=mid,
        markup_bps=markup_bps,
        customer_rate=customer,
        received=received,
        eta=route_fee.eta,
        created_at=now,
        expires_at=now + QUOTE_LOCK,
        fx_cost=Money(round_half_up(fx_cost_exact), principal.currency),
        total_cost_bps=ratio_bps(fee.total.minor + fx_cost_exact, principal.minor),
    )
