"""Payout rails: one interface for bank transfers, mobile money and cash pickup.

A :class:`PayoutRail` pays one instruction and must be idempotent by payout id
(a real rail gets it as the provider's idempotency key). :class:`SandboxRail` is
the deterministic stand-in: its reference is derived from the payout id, it can
wait a configured latency, and it fails accounts matching a configured pattern
and/or every Nth distinct payout, so tests and demos choose their failures.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from zkredit.domain.fees import Route
from zkredit.domain.money import Money


class PayoutStatus(StrEnum):
    PAID_OUT = "paid_out"
    FAILED = "failed"


@dataclass(frozen=True)
class PayoutInstruction:
    """What a rail needs to pay one recipient."""

    payout_id: str
    amount: Money
    route: Route
    institution: str
    account: str
    beneficiary: str


@dataclass(frozen=True)
class RailResult:
    """The rail's answer: paid or failed, its reference, and why it failed."""

    status: PayoutStatus
    reference: str
    reason: str | None = None


class PayoutRail(Protocol):
    """Pays recipients on one route."""

    @property
    def name(self) -> str:
        """The rail's name, recorded with each payout."""
        ...

    def pay(self, instruction: PayoutInstruction) -> RailResult:
        """Pay ``instruction`` once; a repeat with the same payout id returns the same result."""
        ...


_PREFIX = {
    Route.BANK_TRANSFER: "SBX-BANK",
    Route.MOBILE_MONEY: "SBX-MOMO",
    Route.CASH_PICKUP: "SBX-PICKUP",
}


@dataclass
class SandboxRail:
    """A deterministic rail for development and tests.

    ``fail_accounts``: a regular expression; accounts it matches (``re.search``)
    fail as closed. ``fail_every``: when N > 0, the Nth, 2Nth, ... distinct payout
    fails as rejected by the partner. ``latency_s`` is slept before answering.
    """

    route: Route
    latency_s: float = 0.0
    fail_accounts: str | None = None
    fail_every: int = 0
    _results: dict[str, RailResult] = field(default_factory=dict, repr=False)
    _count: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return f"sandbox-{self.route.value}"

    def pay(self, instruction: PayoutInstruction) -> RailResult:
        with self._lock:
            known = self._results.get(instruction.payout_id)
            if known is not None:
                return known
            self._count += 1
            nth = self._count
        if self.latency_s > 0:
            time.sleep(self.latency_s)
        digest = hashlib.sha256(instruction.payout_id.encode()).hexdigest()[:12].upper()
        reference = f"{_PREFIX[self.route]}-{digest}"
        reason = None
        if self.fail_accounts and re.search(self.fail_accounts, instruction.account):
            reason = f"{instruction.institution} reports the account closed"
        elif self.fail_every > 0 and nth % self.fail_every == 0:
            reason = (
                f"{instruction.institution} rejected the credit (sandbox: every {self.fail_every})"
            )
        status = PayoutStatus.FAILED if reason else PayoutStatus.PAID_OUT
        result = RailResult(status, reference, reason)
        with self._lock:
            return self._results.setdefault(instruction.payout_id, result)


def sandbox_rails(
    *, latency_s: float = 0.0, fail_accounts: str | None = None, fail_every: int = 0
) -> Mapping[Route, PayoutRail]:
    """One sandbox rail per route, configured alike."""
    return {route: SandboxRail(route, latency_s, fail_accounts, fail_every) for route in Route}
