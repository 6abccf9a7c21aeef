"""Transfer state changes: applied with the ledger postings, then published.

:func:`move` applies a state-machine event to a row and records the change as an
event row in the same unit of work as the ledger postings it goes with. After
the commit, :class:`EventPublisher` appends each unpublished event to the
party's audit log and fans it out to webhook subscribers. The audit entry and the
event's ``audited`` mark commit in one transaction, under a lock per transfer: a
crash loses neither, and concurrent publishers write each entry exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.remittance.metrics import RemittanceMetrics
from zkredit.agents.remittance.models import TransferRow
from zkredit.agents.remittance.repository import RemittanceRepository
from zkredit.domain.remittance import TransferEvent, TransferState, transition

CREATED = "request"
"""The event name of a transfer's first row (it enters ``quoted``)."""


def move(
    repo: RemittanceRepository,
    row: TransferRow,
    event: TransferEvent,
    now: datetime,
    reason: str | None = None,
) -> TransferState:
    """Apply ``event`` to ``row`` and record the change; a repeated event changes nothing."""
    before = TransferState(row.state)
    after = transition(before, event)
    if after is not before:
        row.state = after.value
        row.updated_at = now
        repo.add_event(row.id, event.value, before.value, after.value, now, reason)
    return after


class EventPublisher:
    """Audit-logs and fans out the events of a transfer that are not published yet."""

    def __init__(
        self,
        runtime: PartyRuntime,
        metrics: RemittanceMetrics,
        notify: Callable[[str, int], None],
    ) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.notify = notify

    def publish(self, transfer_id: str) -> None:
        db = self.runtime.db
        with db.session() as s:
            pending = [
                (e.id, e.event, e.from_state, e.to_state, e.reason, e.at)
                for e in RemittanceRepository(s).unaudited(transfer_id)
            ]
        for event_id, event, before, after, reason, at in pending:
            with db.session(lock=f"remittance-publish:{transfer_id}") as s:
                repo = RemittanceRepository(s)
                stored = repo.event(event_id)
                if stored is None or stored.audited:  # a concurrent publisher wrote it
                    continue
                self.runtime.record(
                    f"remittance.transfer.{after}",
                    {
                        "transfer_id": transfer_id,
                        "event_id": event_id,
                        "event": event,
                        "from": before,
                        "to": after,
                        "reason": reason,
                        "at": at.isoformat(),
                    },
                    session=s,
                )
                repo.mark_audited(event_id)
            self.metrics.transitions.labels(after).inc()
            self.runtime.log(
                "transfer state changed", transfer_id=transfer_id, state=after, event=event
            )
            self.notify(transfer_id, event_id)
