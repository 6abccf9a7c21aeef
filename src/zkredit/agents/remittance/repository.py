"""Queries of the remittance agent, inside a caller's unit of work.

A :class:`RemittanceRepository` wraps one :class:`~sqlalchemy.orm.Session`; the
service opens the session (and, for state changes, its lock) and commits it.
Row-to-domain mapping lives here too, so rows never leak past the service.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from zkredit.agents.remittance.books import TransferAmounts
from zkredit.agents.remittance.models import (
    IdentityProofRow,
    QuoteRow,
    TransferEventRow,
    TransferRow,
    WebhookRow,
)
from zkredit.domain.fees import FeeBreakdown, Route
from zkredit.domain.fx import FxRate
from zkredit.domain.money import Money, currency
from zkredit.domain.quote import Quote, QuoteDirection
from zkredit.domain.remittance import TransferState
from zkredit.store.models import LedgerEntryRow

COUNTED_STATES = (
    TransferState.FUNDED,
    TransferState.HELD,
    TransferState.COMPLIANCE_PASSED,
    TransferState.SENT,
    TransferState.PAID_OUT,
    TransferState.COMPLETED,
)
"""States whose principal counts towards the sender's rolling limits."""


class RemittanceRepository:
    """The remittance agent's rows, read and written through one session."""

    def __init__(self, session: Session) -> None:
        self.s = session

    # -- quotes ---------------------------------------------------------------

    def add_quote(self, row: QuoteRow) -> None:
        self.s.add(row)

    def quote(self, quote_id: str) -> QuoteRow | None:
        return self.s.get(QuoteRow, quote_id)

    # -- transfers --------------------------------------------------------------

    def add_transfer(self, row: TransferRow) -> None:
        self.s.add(row)
        self.s.flush()

    def transfer(self, transfer_id: str) -> TransferRow | None:
        return self.s.get(TransferRow, transfer_id)

    def transfer_by_quote(self, quote_id: str) -> TransferRow | None:
        return self.s.scalars(select(TransferRow).where(TransferRow.quote_id == quote_id)).first()

    def transfer_by_key(self, key: str) -> TransferRow | None:
        return self.s.scalars(select(TransferRow).where(TransferRow.idempotency_key == key)).first()

    def transfer_by_loan(self, loan_id: str) -> TransferRow | None:
        return self.s.scalars(select(TransferRow).where(TransferRow.loan_id == loan_id)).first()

    def transfers_in(self, states: list[str]) -> list[tuple[str, str]]:
        """``(id, state)`` of every transfer in one of ``states``, oldest first."""
        rows = self.s.execute(
            select(TransferRow.id, TransferRow.state)
            .where(TransferRow.state.in_(states))
            .order_by(TransferRow.created_at, TransferRow.id)
        ).all()
        return [(transfer_id, state) for transfer_id, state in rows]

    def counted_history(self, pseudonym: str, *, exclude: str) -> list[tuple[datetime, Money]]:
        """The sender person's funded transfers that still count towards the limits.

        ``pseudonym`` is the identity proof's nullifier under this provider's derived
        scope: one per person, whatever wallet they send from (review F-1, F24).
        """
        rows = self.s.execute(
            select(TransferRow.funded_at, TransferRow.sent_minor, TransferRow.send_currency).where(
                TransferRow.sender_pseudonym == pseudonym,
                TransferRow.id != exclude,
                TransferRow.funded_at.is_not(None),
                TransferRow.state.in_([s.value for s in COUNTED_STATES]),
            )
        ).all()
        return [(at, Money(minor, currency(code))) for at, minor, code in rows if at is not None]

    # -- events -----------------------------------------------------------------

    def add_event(
        self,
        transfer_id: str,
        event: str,
        from_state: str | None,
        to_state: str,
        at: datetime,
        reason: str | None = None,
    ) -> None:
        self.s.add(
            TransferEventRow(
                transfer_id=transfer_id,
                event=event,
                from_state=from_state,
                to_state=to_state,
                reason=reason,
                at=at,
                audited=False,
            )
        )

    def transfers_with_event(self, event: str) -> list[str]:
        """Ids of the transfers that went through ``event``, oldest change first."""
        return list(self.s.scalars(
            select(TransferEventRow.transfer_id)
            .where(TransferEventRow.event == event)
            .order_by(TransferEventRow.id)
        ))

    def history(self, transfer_id: str) -> list[TransferEventRow]:
        return list(
            self.s.scalars(
                select(TransferEventRow)
                .where(TransferEventRow.transfer_id == transfer_id)
                .order_by(TransferEventRow.id)
            )
        )

    def unaudited(self, transfer_id: str) -> list[TransferEventRow]:
        return list(
            self.s.scalars(
                select(TransferEventRow)
                .where(
                    TransferEventRow.transfer_id == transfer_id,
                    TransferEventRow.audited.is_(False),
                )
                .order_by(TransferEventRow.id)
            )
        )

    def mark_audited(self, event_id: int) -> None:
        """One ``UPDATE`` (no read first, so no lock is needed on SQLite)."""
        self.s.execute(
            update(TransferEventRow).where(TransferEventRow.id == event_id).values(audited=True)
        )

    def event(self, event_id: int) -> TransferEventRow | None:
        return self.s.get(TransferEventRow, event_id)

    # -- nullifiers and books -----------------------------------------------------

    def identity_proof_use(self, digest: str) -> IdentityProofRow | None:
        return self.s.get(IdentityProofRow, digest)

    def add_identity_proof_use(self, digest: str, transfer_id: str, at: datetime) -> None:
        self.s.add(
            IdentityProofRow(digest=digest, transfer_id=transfer_id, used_at=at)
        )
        self.s.flush()

    def entry_booked(self, entry_id: str) -> bool:
        return self.s.get(LedgerEntryRow, entry_id) is not None

    def ledger_entry_ids(self, transfer_id: str) -> list[str]:
        return list(
            self.s.scalars(
                select(LedgerEntryRow.id)
                .where(LedgerEntryRow.reference == transfer_id)
                .order_by(LedgerEntryRow.created_at, LedgerEntryRow.id)
            )
        )

    # -- webhooks -------------------------------------------------------------------

    def add_webhook(self, row: WebhookRow) -> None:
        self.s.add(row)
        self.s.flush()

    def webhook(self, webhook_id: str) -> WebhookRow | None:
        return self.s.get(WebhookRow, webhook_id)

    def webhooks_for(self, transfer_id: str) -> list[WebhookRow]:
        return list(
            self.s.scalars(
                select(WebhookRow)
                .where(or_(WebhookRow.transfer_id.is_(None), WebhookRow.transfer_id == transfer_id))
                .order_by(WebhookRow.created_at, WebhookRow.id)
            )
        )


# --- mapping ---------------------------------------------------------------------


def _rate(text: str) -> Fraction:
    return Fraction(text)


def _rate_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def quote_row(quote_id: str, scope: str, requested_by: str, q: Quote) -> QuoteRow:
    """The row that stores ``q`` exactly."""
    return QuoteRow(
        id=quote_id,
        scope=scope,
        requested_by=requested_by,
        direction=q.direction.value,
        route=q.route.value,
        send_currency=q.sent.currency.code,
        sent_minor=q.sent.minor,
        receive_currency=q.received.currency.code,
        received_minor=q.received.minor,
        fee_flat_minor=q.fee.flat.minor,
        fee_pct_bps=q.fee.pct_bps,
        fee_percentage_minor=q.fee.percentage.minor,
        markup_bps=q.markup_bps,
        mid_rate=_rate_text(q.mid_rate.rate),
        customer_rate=_rate_text(q.customer_rate.rate),
        rate_as_of=q.mid_rate.as_of,
        eta_seconds=int(q.eta.total_seconds()),
        fx_cost_minor=q.fx_cost.minor,
        total_cost_bps=q.total_cost_bps,
        created_at=q.created_at,
        expires_at=q.expires_at,
    )


def quote_of(row: QuoteRow) -> Quote:
    """The domain quote a row stores."""
    src, dst = currency(row.send_currency), currency(row.receive_currency)
    return Quote(
        direction=QuoteDirection(row.direction),
        route=Route(row.route),
        sent=Money(row.sent_minor, src),
        fee=FeeBreakdown(
            Money(row.fee_flat_minor, src), row.fee_pct_bps, Money(row.fee_percentage_minor, src)
        ),
        mid_rate=FxRate(src, dst, _rate(row.mid_rate), row.rate_as_of),
        markup_bps=row.markup_bps,
        customer_rate=FxRate(src, dst, _rate(row.customer_rate), row.rate_as_of),
        received=Money(row.received_minor, dst),
        eta=timedelta(seconds=row.eta_seconds),
        created_at=row.created_at,
        expires_at=row.expires_at,
        fx_cost=Money(row.fx_cost_minor, src),
        total_cost_bps=row.total_cost_bps,
    )


def amounts_of(row: TransferRow) -> TransferAmounts:
    """The money of a transfer row."""
    src = currency(row.send_currency)
    return TransferAmounts(
        transfer_id=row.id,
        principal=Money(row.sent_minor, src),
        fee=Money(row.fee_minor, src),
        received=Money(row.received_minor, currency(row.receive_currency)),
    )
