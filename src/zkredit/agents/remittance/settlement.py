"""How a completed transfer settles between the provider and its payout partner.

:class:`Settlement` is the seam: the default books the movement in the ledger
only; an on-chain settlement (zkUSD) returns the transaction hash, which the
receipt then carries. Implementations must be idempotent by transfer id: the
completion step may call ``settle`` again after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zkredit.agents.remittance.models import SettlementRow
from zkredit.domain.money import Money
from zkredit.store.db import Database


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


@dataclass(frozen=True)
class JournalledTx:
    """A settlement transaction as signed, before (or after) it was broadcast."""

    transfer_id: str
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: bytes


class SettlementJournal:
    """Where an on-chain settlement records its signed transaction before sending it.

    Kept in the remittance agent's database, so it outlives the process: a
    settlement that finds an entry for its transfer resends that transaction (the
    same bytes can be mined at most once) instead of signing a second payment.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, transfer_id: str) -> JournalledTx | None:
        with self.db.session() as s:
            row = s.get(SettlementRow, transfer_id)
            return None if row is None else JournalledTx(
                row.transfer_id, row.sender, int(row.nonce), row.tx_hash,
                bytes.fromhex(row.raw_tx))

    def record(self, tx: JournalledTx) -> None:
        """Journal ``tx``; committed when this returns (before the broadcast)."""
        with self.db.session() as s:
            s.add(SettlementRow(transfer_id=tx.transfer_id, sender=tx.sender, nonce=tx.nonce,
                                tx_hash=tx.tx_hash, raw_tx=tx.raw_tx.hex()))

    def forget(self, transfer_id: str) -> None:
        """Drop an entry whose transaction can never be mined (its nonce went to another)."""
        with self.db.session() as s:
            row = s.get(SettlementRow, transfer_id)
            if row is not None:
                s.delete(row)
