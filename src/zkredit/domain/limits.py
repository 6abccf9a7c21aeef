"""Rolling remittance limits per sender, by KYC level (DOMAIN.md).

The limits apply to the **sum** of a sender's transfers in each rolling window,
not to each transfer alone. Every amount, in any currency, is converted to USD at
the mid rate of its own instant; each window's total is kept exact and rounded
half-up once before it is compared with the limit.

A window of length ``w`` ending at ``now`` holds the transfers with
``at > now − w``. Transfers stamped after ``now`` (clock skew between services)
are counted too: skew must never open room under a limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from fractions import Fraction

from zkredit.domain.fx import RateProvider, convert_exact
from zkredit.domain.instant import require_aware
from zkredit.domain.money import Money, currency
from zkredit.domain.rounding import round_half_up
from zkredit.errors import InputError

USD = currency("USD")


class KycLevel(IntEnum):
    """How thoroughly the sender's identity was verified."""

    BASIC = 1
    ENHANCED = 2


@dataclass(frozen=True)
class Window:
    """A rolling window and its USD limit."""

    name: str
    length: timedelta
    limit: Money


LIMITS: dict[KycLevel, tuple[Window, ...]] = {
    KycLevel.BASIC: (
        Window("24-hour", timedelta(hours=24), Money.of(1_000, "USD")),
        Window("30-day", timedelta(days=30), Money.of(5_000, "USD")),
    ),
    KycLevel.ENHANCED: (
        Window("24-hour", timedelta(hours=24), Money.of(10_000, "USD")),
        Window("30-day", timedelta(days=30), Money.of(50_000, "USD")),
    ),
}


@dataclass(frozen=True)
class WindowUsage:
    """One window's arithmetic: what was used, what is attempted, the rounded total."""

    window: Window
    used: Money
    attempted: Money
    total: Money

    @property
    def exceeded(self) -> bool:
        """True when the total is above the limit (reaching it exactly is allowed)."""
        return self.total.minor > self.window.limit.minor

    @property
    def remaining(self) -> Money:
        """Room left in the window before this transfer (never negative)."""
        return Money(max(self.window.limit.minor - self.used.minor, 0), USD)

    def describe(self) -> str:
        """``"24-hour limit USD 1,000.00: used USD 600.00, attempted USD 500.00, ..."``."""
        return (
            f"{self.window.name} limit {self.window.limit}: used {self.used}, "
            f"attempted {self.attempted}, total {self.total}"
        )


@dataclass(frozen=True)
class LimitDecision:
    """Whether a new transfer fits every window, and why not if it does not."""

    allowed: bool
    kyc_level: KycLevel
    windows: tuple[WindowUsage, ...]
    reason: str

    @property
    def exceeded(self) -> tuple[WindowUsage, ...]:
        """The windows the transfer would exceed."""
        return tuple(w for w in self.windows if w.exceeded)


def check_limits(
    history: Iterable[tuple[datetime, Money]],
    new_amount: Money,
    kyc_level: KycLevel | int,
    now: datetime,
    rates: RateProvider,
) -> LimitDecision:
    """Decide whether ``new_amount`` fits the sender's rolling limits.

    ``history`` is the sender's earlier transfers that still count (funded and not
    refunded) as ``(instant, principal)`` pairs in any currency.
    """
    require_aware(now, "now")
    level = _level(kyc_level)
    if new_amount.minor <= 0:
        raise InputError(f"the new transfer must be positive. Got {new_amount}")
    attempted = _to_usd(new_amount, now, rates)
    prior: list[tuple[datetime, Fraction]] = []
    for at, amount in history:
        require_aware(at, "a history instant")
        if amount.minor <= 0:
            raise InputError(f"history amounts must be positive. Got {amount} at {at.isoformat()}")
        prior.append((at, _to_usd(amount, at, rates)))
    usages = tuple(_usage(window, prior, attempted, now) for window in LIMITS[level])
    over = [u for u in usages if u.exceeded]
    if over:
        reason = f"refused for KYC level {level.name.lower()}: " + "; ".join(
            f"{u.describe()} exceeds the limit" for u in over
        )
    else:
        reason = f"within the limits for KYC level {level.name.lower()}"
    return LimitDecision(not over, level, usages, reason)


def _level(kyc_level: KycLevel | int) -> KycLevel:
    try:
        return KycLevel(kyc_level)
    except ValueError as exc:
        known = ", ".join(f"{lv.value} ({lv.name.lower()})" for lv in KycLevel)
        raise InputError(
            f"no remittance limits for KYC level {kyc_level!r}; known: {known}",
            hint="complete KYC before sending",
        ) from exc


def _to_usd(amount: Money, at: datetime, rates: RateProvider) -> Fraction:
    if amount.currency == USD:
        return Fraction(amount.minor)
    return convert_exact(amount, rates.mid_rate(amount.currency, USD, at))


def _usage(
    window: Window, prior: list[tuple[datetime, Fraction]], attempted: Fraction, now: datetime
) -> WindowUsage:
    start = now - window.length
    used = sum((usd for at, usd in prior if at > start), Fraction(0))
    return WindowUsage(
        window=window,
        used=Money(round_half_up(used), USD),
        attempted=Money(round_half_up(attempted), USD),
        total=Money(round_half_up(used + attempted), USD),
    )
