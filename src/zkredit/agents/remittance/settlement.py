"""How a completed transfer settles between the provider and its payout partner.

:class:`Settlement` is the seam: the default books the movement in the ledger
only; an on-chain settlement (zkUSD) returns the transaction hash, which the
receipt then carries. Implementations must be idempotent by transfer id: the
completion step may call ``settle`` again after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zkredit.domain.money import Money


@dataclass(frozen=True)
class SettlementRequest:
    """What a settlement needs to know about a transfer that was paid out."""

    transfer_id: str
    received: Money
    payout_id: str | None
    route: str


class Settlement(Protocol):
    """Settles a paid-out transfer with the payout partner."""

    chain_id: int | None

    def settle(self, transfer: SettlementRequest) -> str | None:
        """Settle ``transfer``; return the transaction hash, or ``None`` off chain."""
        ...


class LedgerOnlySettlement:
    """The default: the payout is already booked in the ledger; nothing goes on chain."""

    chain_id: int | None = None

    def settle(self, transfer: SettlementRequest) -> str | None:
        return None
