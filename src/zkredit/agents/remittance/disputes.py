"""Dispute refunds from the payout partner, passed on to whoever asked for the transfer.

When the receiver upholds a dispute on a paid-out payout it takes the payout back
and tells this agent (``remittance.dispute.refunded``, review F13). The transfer
then goes ``paid_out|completed -refund_after_dispute-> refunded`` with, in one unit
of work, the balanced reversal of what the delivery booked:

* ``payout_reversal``: the float is ours again, the recipient is owed the amount;
* the exchange reversal (``fx_reversal``, or ``transfer_reversal`` for one currency):
  the obligation goes back to the sender's funds, at the rate of the transfer;
* ``refund``: the principal goes back to the sender. The fee stays earned, as after
  a failed payout (DOMAIN.md: "the principal is refunded").

After the commit a job (``remittance.refund.notify``) tells the requester: the
lender (``credit.disbursement.refunded``: its tracker looks again and reverses the
loan) or the sender's worker (``worker.remittance.refunded``: it looks at the
transfer again). The notices carry ids only; each side reads the state from the
authoritative status message, never from the notice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.remittance import books
from zkredit.agents.remittance.errors import (
    RefundNotApplicable,
    SenderNotAllowed,
    UnknownTransfer,
)
from zkredit.agents.remittance.events import EventPublisher, move
from zkredit.agents.remittance.models import TransferRow
from zkredit.agents.remittance.pipeline import transfer_lock
from zkredit.agents.remittance.repository import RemittanceRepository, amounts_of
from zkredit.agents.remittance.schemas import DisputeRefundNotice, parse_payload
from zkredit.domain.remittance import TransferEvent, TransferState
from zkredit.store.ledger import Ledger

NOTIFY_JOB = "remittance.refund.notify"
NOTIFY_ATTEMPTS = 12
LENDER_NOTICE = "credit.disbursement.refunded"
SENDER_NOTICE = "worker.remittance.refunded"
DELIVERED = (TransferState.PAID_OUT, TransferState.COMPLETED)
"""The states a payout partner's dispute refund can reopen."""


class DisputeRefunds:
    """Books a dispute refund once and passes it on to the transfer's requester."""

    def __init__(
        self,
        runtime: PartyRuntime,
        publisher: EventPublisher,
        clock: Callable[[], datetime],
        *,
        payout_agent: str = "receiver",
    ) -> None:
        self.runtime = runtime
        self.publisher = publisher
        self.clock = clock
        self.payout_agent = payout_agent
        self.ledger = Ledger(runtime.db)

    def register(self) -> None:
        self.runtime.jobs.register(NOTIFY_JOB, self._job_notify, max_attempts=NOTIFY_ATTEMPTS)

    def refunded(self, payload: Mapping[str, Any], requested_by: str) -> dict[str, Any]:
        """The payout partner took the payout of a transfer back: refund the sender.

        Idempotent: a repeated notice finds the transfer refunded and books nothing.
        A notice for a transfer not yet seen paid out here (the partner's answer to the
        payout was lost and the pipeline has not asked again) is refused with 409, so
        the partner retries it after the pipeline caught up.
        """
        if requested_by != self.payout_agent:
            raise SenderNotAllowed(
                f"only the {self.payout_agent} agent may refund payouts, not {requested_by!r}"
            )
        notice = parse_payload(DisputeRefundNotice, payload)
        with self.runtime.db.session(lock=transfer_lock(notice.transfer_id)) as s:
            repo = RemittanceRepository(s)
            row = repo.transfer(notice.transfer_id)
            if row is None:
                raise UnknownTransfer(f"no transfer {notice.transfer_id!r}")
            self._check(repo, row, notice)
            state = TransferState(row.state)
            if state in DELIVERED:
                self._book(repo, row, notice)
                state = TransferState(row.state)
        self.publisher.publish(notice.transfer_id)
        self.runtime.jobs.ensure(NOTIFY_JOB, {"transfer_id": notice.transfer_id},
                                 dedup_key=f"refund-notify:{notice.transfer_id}")
        return {"transfer_id": notice.transfer_id, "state": state.value}

    def _check(self, repo: RemittanceRepository, row: TransferRow,
               notice: DisputeRefundNotice) -> None:
        t = amounts_of(row)
        if notice.amount.to_money() != t.received:
            raise RefundNotApplicable(
                f"dispute {notice.dispute_id} refunds {notice.amount.to_money()}, but "
                f"transfer {row.id} paid out {t.received}"
            )
        state = TransferState(row.state)
        if state is TransferState.REFUNDED:
            if not repo.entry_booked(books.payout_reversed(t).id):
                raise RefundNotApplicable(
                    f"transfer {row.id} was refunded after a failed payout; no payout of it "
                    "can be disputed"
                )
        elif state not in DELIVERED:
            raise RefundNotApplicable(
                f"transfer {row.id} is {state.value} here, not paid out yet; retry later",
                hint="The pipeline records the payout first; a retried notice then refunds.",
            )
        if row.payout_id is not None and row.payout_id != notice.payout_id:
            raise RefundNotApplicable(
                f"transfer {row.id} was paid out as {row.payout_id}, not {notice.payout_id}"
            )

    def _book(self, repo: RemittanceRepository, row: TransferRow,
              notice: DisputeRefundNotice) -> None:
        t = amounts_of(row)
        s = repo.s
        self.ledger.post(books.payout_reversed(t), reference=row.id, session=s)
        exchanged, reversed_ = books.exchanged(t), books.exchange_reversed(t)
        if repo.entry_booked(exchanged.id) and not repo.entry_booked(reversed_.id):
            self.ledger.post(reversed_, reference=row.id, session=s)
        fee_earned = repo.entry_booked(f"{row.id}:fee")
        self.ledger.post(books.refunded(t, fee_earned=fee_earned), reference=row.id, session=s)
        reason = (f"dispute {notice.dispute_id} upheld by the payout partner"
                  + (f" ({notice.reason})" if notice.reason else "")
                  + "; principal returned to the sender")
        row.reasons = [*row.reasons, reason]
        move(repo, row, TransferEvent.REFUND_AFTER_DISPUTE, self.clock(), reason)

    def _job_notify(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Tell the requester that its transfer was refunded after a dispute."""
        transfer_id = str(payload["transfer_id"])
        with self.runtime.db.session() as s:
            row = RemittanceRepository(s).transfer(transfer_id)
            if row is None:
                raise UnknownTransfer(f"no transfer {transfer_id!r}")
            kind, requester, loan_id = row.kind, row.requested_by, row.loan_id
        if kind == "disbursement":
            message, body = LENDER_NOTICE, {"loan_id": loan_id, "transfer_id": transfer_id}
        else:
            message, body = SENDER_NOTICE, {"transfer_id": transfer_id}
        reply = self.runtime.peers.send(requester, message, body, correlation_id=transfer_id)
        return {"transfer_id": transfer_id, "told": requester, "reply": reply}

    def resume(self) -> int:
        """Ensure the notice of every transfer refunded after a dispute (a dead notice job
        is revived; a delivered one is a no-op); returns how many there are."""
        with self.runtime.db.session() as s:
            ids = RemittanceRepository(s).transfers_with_event(
                TransferEvent.REFUND_AFTER_DISPUTE.value)
        for transfer_id in ids:
            self.runtime.jobs.ensure(NOTIFY_JOB, {"transfer_id": transfer_id},
                                     dedup_key=f"refund-notify:{transfer_id}")
        return len(ids)
