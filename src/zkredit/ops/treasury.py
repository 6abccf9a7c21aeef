"""``zkredit ledger fund-float``: the provider prefunds its payout partner, explicitly.

Payouts draw on the remittance agent's ``assets:payout_float:<ccy>`` and, at the
receiver, on ``liabilities:partner_prefunding:<ccy>``. Before review F14 neither was
ever funded, so both went negative with the first payout. A prefunding is one
movement recorded on both sides, each a balanced entry keyed by the operator's
reference (so running the same funding twice books it once):

* remittance: ``payout_float`` debit, ``owner_capital`` credit (the treasury);
* receiver: ``cash`` debit, ``partner_prefunding`` credit (owed back until paid out).

The demo seed funds its destination currencies through this same function.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkredit.domain.ledger import float_prefunded, prefunding_received
from zkredit.domain.money import Money
from zkredit.errors import InputError
from zkredit.store.db import Database
from zkredit.store.ledger import Ledger

SEED_FLOAT_MAJOR = 50_000_000
"""The payout float a development system prefunds in each corridor currency (major units)."""


def corridor_currencies() -> list[str]:
    """Every currency a packaged corridor sends or pays out in, sorted."""
    from zkredit.domain.fees import FeeSchedule

    return sorted({c.code for corridor in FeeSchedule.packaged().corridors
                   for c in (corridor.source, corridor.destination)})


@dataclass(frozen=True)
class FloatFunding:
    """What one prefunding booked: whether each side is new (``False``: already booked)."""

    reference: str
    amount: Money
    remittance_booked: bool
    receiver_booked: bool

    def to_json(self) -> dict[str, object]:
        return {"reference": self.reference, "amount_minor": self.amount.minor,
                "currency": self.amount.currency.code,
                "remittance_booked": self.remittance_booked,
                "receiver_booked": self.receiver_booked}


def fund_float(remittance: Database | None, receiver: Database | None, amount: Money,
               reference: str) -> FloatFunding:
    """Book the prefunding of ``amount`` under ``reference`` at both parties.

    Either side may be ``None`` when its books are kept elsewhere (a payout partner
    outside this system, or an agent running in another process).
    The same reference with another amount raises
    :class:`~zkredit.store.ledger.LedgerConflict`.
    """
    if amount.minor <= 0:
        raise InputError(f"a float is funded with a positive amount. Got {amount}")
    if not reference or len(reference) > 100:
        raise InputError("a float funding needs a reference of 1 to 100 characters",
                         hint="Use the treasury's transfer reference, e.g. TRSY-2026-12-07-PHP.")
    booked = received = False
    if remittance is not None:
        booked = Ledger(remittance).post(float_prefunded(reference, amount),
                                         reference=reference)
    if receiver is not None:
        received = Ledger(receiver).post(prefunding_received(reference, amount),
                                         reference=reference)
    return FloatFunding(reference, amount, booked, received)
