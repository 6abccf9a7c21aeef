"""Funding rails: how the sender's money (or a lender's, for a disbursement) comes in.

A transfer is funded only when the provider has collected its total. The pipeline
opens a **pay-in** on a :class:`FundingRail` under a reference derived from the
transfer (:func:`payin_reference`), and books cash only once the rail reports that
reference ``collected`` for exactly the quote's total, in its currency.

A rail must be idempotent by reference: opening the same pay-in again returns the
same record (a real rail gets the reference as its idempotency key and as the
payment reference the payer quotes), and opening a reference with another amount is
a :class:`PayInConflict`. :class:`SandboxFundingRail` is the deterministic stand-in.
It keeps its record in its own table (``remittance_sandbox_payins``), so it
survives a restart and two concurrent opens of one reference make one pay-in.
By default the payer pays what was asked at once; payers matching ``fail_payers``
are declined; with ``auto_collect=False`` a pay-in waits for :meth:`SandboxFundingRail.pay`,
which may pay any amount (a short or over payment).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zkredit.agents.common.runtime import utcnow
from zkredit.agents.remittance.models import SandboxPayInRow
from zkredit.domain.money import Money, currency
from zkredit.errors import ZKreditError
from zkredit.store.db import Database

SANDBOX_RAIL = "sandbox-payin"


class CollectionStatus(StrEnum):
    """Where a pay-in stands at the rail."""

    PENDING = "pending"  # opened, the payer has not paid yet
    COLLECTED = "collected"  # money received under the reference (``amount`` says how much)
    FAILED = "failed"  # the payer's payment was declined; nothing was received
    RETURNED = "returned"  # received, then sent back to the payer (refused by the provider)
    CANCELLED = "cancelled"  # closed before any payment; a late payment is refused


class PayInConflict(ZKreditError):
    """Raised when a pay-in reference is opened again with another amount or payer."""

    http_status = 409


class UnknownPayIn(ZKreditError, LookupError):
    """Raised when a rail has no pay-in under the reference asked for."""

    http_status = 404


class FundingRailError(ZKreditError):
    """Raised when a funding rail cannot answer (unreachable, timed out); retry later."""

    http_status = 503


@dataclass(frozen=True)
class PayInRequest:
    """What the provider asks the payer to pay, and the reference to quote."""

    reference: str
    amount: Money
    payer: str
    transfer_id: str


@dataclass(frozen=True)
class Collection:
    """The rail's record of one pay-in. ``amount`` is what was received, if anything."""

    reference: str
    status: CollectionStatus
    expected: Money
    amount: Money | None = None
    reason: str | None = None

    @property
    def settles(self) -> bool:
        """True when the pay-in collected exactly what was asked (amount and currency)."""
        return self.status is CollectionStatus.COLLECTED and self.amount == self.expected


class FundingRail(Protocol):
    """Collects money from payers under a reference."""

    @property
    def name(self) -> str:
        """The rail's name, recorded with the funding entry."""
        ...

    def open(self, request: PayInRequest) -> Collection:
        """Open the pay-in once; a repeat with the same reference returns its record."""
        ...

    def collection(self, reference: str) -> Collection:
        """The pay-in's record; :class:`UnknownPayIn` for a reference never opened."""
        ...

    def cancel(self, reference: str, reason: str) -> Collection:
        """Close a pending pay-in; a pay-in already settled is returned unchanged."""
        ...

    def refuse(self, reference: str, reason: str) -> Collection:
        """Send a collected amount back to the payer (``returned``); idempotent."""
        ...


def payin_reference(transfer_id: str) -> str:
    """The payment reference of a transfer's pay-in: derived, so a re-run reuses it."""
    return "PI-" + hashlib.sha256(transfer_id.encode()).hexdigest()[:20].upper()


class SandboxFundingRail:
    """A deterministic, durable funding rail for development and tests.

    ``fail_payers``: a regular expression; payers it matches (``re.search``) are
    declined. ``auto_collect``: the payer pays the asked amount when the pay-in
    opens; without it the pay-in stays ``pending`` until :meth:`pay`.
    """

    def __init__(
        self,
        db: Database,
        *,
        auto_collect: bool = True,
        fail_payers: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.auto_collect = auto_collect
        self.fail_payers = fail_payers
        self.clock = clock

    @property
    def name(self) -> str:
        return SANDBOX_RAIL

    def open(self, request: PayInRequest) -> Collection:
        if request.amount.minor <= 0:
            raise PayInConflict(f"a pay-in collects a positive amount. Got {request.amount}")
        now = self.clock()
        status, amount, reason = CollectionStatus.PENDING, None, None
        if self.fail_payers and re.search(self.fail_payers, request.payer):
            status, reason = CollectionStatus.FAILED, "the payer's bank declined the debit"
        elif self.auto_collect:
            status, amount = CollectionStatus.COLLECTED, request.amount.minor
        row = SandboxPayInRow(
            reference=request.reference,
            transfer_id=request.transfer_id,
            payer=request.payer,
            currency=request.amount.currency.code,
            expected_minor=request.amount.minor,
            status=status.value,
            collected_minor=amount,
            reason=reason,
            opened_at=now,
            updated_at=now,
        )
        try:
            with self.db.session(lock=f"sandbox-payin:{request.reference}") as s:
                known = s.get(SandboxPayInRow, request.reference)
                if known is None:
                    s.add(row)
                    return _collection(row)
                _same_request(known, request)
                return _collection(known)
        except IntegrityError:  # a concurrent open of the same reference won
            return self.collection(request.reference)

    def collection(self, reference: str) -> Collection:
        with self.db.session() as s:
            return _collection(self._row(s, reference))

    def pay(self, reference: str, amount: Money) -> Collection:
        """The payer pays ``amount`` under ``reference`` (sandbox only); once."""
        with self.db.session(lock=f"sandbox-payin:{reference}") as s:
            row = self._row(s, reference)
            if row.status == CollectionStatus.PENDING:
                if amount.currency.code != row.currency:
                    # a bank credits the account in its currency; another one is not received
                    row.status, row.reason = CollectionStatus.FAILED.value, (
                        f"a payment in {amount.currency} cannot be credited in {row.currency}")
                else:
                    row.status, row.collected_minor = CollectionStatus.COLLECTED.value, amount.minor
                row.updated_at = self.clock()
            return _collection(row)

    def cancel(self, reference: str, reason: str) -> Collection:
        return self._settle(reference, CollectionStatus.PENDING, CollectionStatus.CANCELLED,
                            reason)

    def refuse(self, reference: str, reason: str) -> Collection:
        return self._settle(reference, CollectionStatus.COLLECTED, CollectionStatus.RETURNED,
                            reason)

    def _settle(self, reference: str, source: CollectionStatus, target: CollectionStatus,
                reason: str) -> Collection:
        with self.db.session(lock=f"sandbox-payin:{reference}") as s:
            row = self._row(s, reference)
            if row.status == source:
                row.status, row.reason, row.updated_at = target.value, reason, self.clock()
            return _collection(row)

    @staticmethod
    def _row(s: Session, reference: str) -> SandboxPayInRow:
        row = s.get(SandboxPayInRow, reference)
        if row is None:
            raise UnknownPayIn(f"the {SANDBOX_RAIL} rail has no pay-in {reference!r}",
                               hint="Open the pay-in first (the transfer's funding step).")
        return row


def _same_request(row: SandboxPayInRow, request: PayInRequest) -> None:
    asked = (request.amount.minor, request.amount.currency.code, request.payer)
    if (row.expected_minor, row.currency, row.payer) != asked:
        raise PayInConflict(
            f"pay-in {row.reference} was opened for {row.expected_minor} {row.currency} "
            f"from {row.payer}, not {request.amount} from {request.payer}")


def _collection(row: SandboxPayInRow) -> Collection:
    ccy = currency(row.currency)
    return Collection(
        reference=row.reference,
        status=CollectionStatus(row.status),
        expected=Money(row.expected_minor, ccy),
        amount=Money(row.collected_minor, ccy) if row.collected_minor is not None else None,
        reason=row.reason,
    )
