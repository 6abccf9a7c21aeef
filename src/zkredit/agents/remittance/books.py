"""Which journal entries each step of a transfer books.

Remittances use the standard entries of :mod:`zkredit.domain.ledger`. A loan
disbursement moves one currency, so it skips the FX trading accounts and books
``customer_funds → payout_due`` directly (and its reversal after a failed payout).
"""

from __future__ import annotations

from dataclasses import dataclass

from zkredit.domain import ledger as dl
from zkredit.domain.ledger import JournalEntry
from zkredit.domain.money import Money


@dataclass(frozen=True)
class TransferAmounts:
    """The money of one transfer: principal and fee (source), amount received (destination)."""

    transfer_id: str
    principal: Money
    fee: Money
    received: Money

    @property
    def same_currency(self) -> bool:
        return self.principal.currency == self.received.currency


def funded(t: TransferAmounts, *, reference: str, rail: str) -> JournalEntry:
    """The sender's principal and fee were collected under the pay-in ``reference``."""
    return dl.remittance_funded(t.transfer_id, t.principal, t.fee,
                                collection=f"pay-in {reference} on {rail}")


def fee_earned(t: TransferAmounts) -> JournalEntry | None:
    """The fee is earned once compliance passes (nothing to book for a zero fee)."""
    return dl.remittance_fee(t.transfer_id, t.fee) if t.fee.minor else None


def exchanged(t: TransferAmounts) -> JournalEntry:
    """The principal becomes what the recipient is owed."""
    if not t.same_currency:
        return dl.remittance_fx(t.transfer_id, t.principal, t.received)
    return JournalEntry(
        f"{t.transfer_id}:transfer",
        (
            dl.debit(dl.customer_funds(t.principal.currency), t.principal),
            dl.credit(dl.payout_due(t.received.currency), t.received),
        ),
        f"remittance {t.transfer_id}: {t.principal} owed to the recipient",
    )


def exchange_reversed(t: TransferAmounts) -> JournalEntry:
    """Undo :func:`exchanged` after a failed payout, at the same rate."""
    if not t.same_currency:
        return dl.remittance_fx_reversal(t.transfer_id, t.principal, t.received)
    return JournalEntry(
        f"{t.transfer_id}:transfer_reversal",
        (
            dl.debit(dl.payout_due(t.received.currency), t.received),
            dl.credit(dl.customer_funds(t.principal.currency), t.principal),
        ),
        f"remittance {t.transfer_id}: payout obligation cancelled after a failed payout",
    )


def paid_out(t: TransferAmounts) -> JournalEntry:
    """The payout partner paid the recipient."""
    return dl.remittance_payout(t.transfer_id, t.received)


def refunded(t: TransferAmounts, *, fee_earned: bool) -> JournalEntry:
    """Money back to the sender: the principal, plus the fee if it was never earned."""
    amount = t.principal if fee_earned else t.principal + t.fee
    return dl.remittance_refund(t.transfer_id, amount)


def payout_reversed(t: TransferAmounts) -> JournalEntry:
    """Undo :func:`paid_out`: the payout partner refunded the payout after a dispute."""
    return dl.remittance_payout_reversal(t.transfer_id, t.received)
