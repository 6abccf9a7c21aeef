"""Executing a transfer: one idempotent job per state, each moving it one step on.

The job ``remittance.transfer.advance`` with payload ``{transfer_id, state}`` (dedup
key ``advance:<id>:<state>``) performs the step that leaves ``state``:

==================  ==============================================  ======================
state               step                                            books
==================  ==============================================  ======================
quoted              collect the pay-in (funding rail) → funded,     ``fund`` on collection
                    or expired / unfunded
funded              compliance: proof, nullifier, limits,           ``fee`` when it passes
                    sanctions, wallet, travel rule
                    → compliance_passed / held / failed
compliance_passed   hand over to the payout partner → sent          ``fx`` (``transfer``)
sent                ``receiver.payout.request`` → paid_out/failed   ``payout`` or reversal
                    (failed only on the receiver's explicit answer)
paid_out            settle, receipt → completed
failed              refund → refunded                               ``refund``
==================  ==============================================  ======================

Funding is a collection, not a posting: the step opens a pay-in for the transfer's
total on the funding rail under :func:`~zkredit.agents.remittance.funding.payin_reference`
(idempotent at the rail) and books cash only when the rail reports that reference
``collected`` for exactly the total, in its currency. A pay-in still pending (or a
rail that does not answer) retries the job, booking nothing; one still pending when
the quote expires is cancelled and the transfer ``expired``; a declined pay-in, or one
that collected another amount (returned to the payer first), leaves it ``unfunded``.

Each step re-reads the transfer under a lock and does nothing unless it is still
in ``state``, books its entries and the state change in one transaction, then
publishes the event and schedules the next step. A step re-run after a crash
therefore neither books twice nor skips the successor. Network calls (the payout,
an on-chain settlement) happen outside any transaction and are idempotent by
transfer id at the other end.

A payout request that errors is ambiguous: an earlier attempt may have paid and
only its reply been lost, and the 4xx that follows (clock skew, a rotated key, a
rolling deploy) says nothing about the money. So only a payout record that says
``failed`` (in the reply, or from ``receiver.payout.status``) leads to a refund.
Anything else is retried; after the last attempt the transfer stays ``sent`` and
is escalated to review (a reason on the transfer and an audit entry).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from zkredit.agents.common.messaging import PeerError
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.remittance import books
from zkredit.agents.remittance.compliance import ComplianceChecks
from zkredit.agents.remittance.errors import FundingPending, PayoutPending, UnknownTransfer
from zkredit.agents.remittance.events import EventPublisher, move
from zkredit.agents.remittance.funding import (
    Collection,
    CollectionStatus,
    FundingRail,
    FundingRailError,
    PayInRequest,
    payin_reference,
)
from zkredit.agents.remittance.models import TransferRow
from zkredit.agents.remittance.payouts import PayoutGateway
from zkredit.agents.remittance.receipts import build_receipt
from zkredit.agents.remittance.repository import RemittanceRepository, amounts_of, quote_of
from zkredit.agents.remittance.settlement import Settlement, SettlementRequest
from zkredit.domain.remittance import TransferEvent, TransferState
from zkredit.jobs.api import current_job
from zkredit.store.ledger import Ledger

ADVANCE_JOB = "remittance.transfer.advance"
ADVANCE_ATTEMPTS = 10
COMPLIANCE_LOCK = "remittance-compliance"
REVIEW_REASON = "payout unconfirmed after every attempt; needs review"
SETTLED_PAYOUTS = ("paid_out", "failed")

_S, _E = TransferState, TransferEvent


def transfer_lock(transfer_id: str) -> str:
    return f"remittance-transfer:{transfer_id}"


class TransferPipeline:
    """The steps of a transfer, run as jobs on the party's queue."""

    def __init__(
        self,
        runtime: PartyRuntime,
        publisher: EventPublisher,
        compliance: ComplianceChecks,
        payouts: PayoutGateway,
        settlement: Settlement,
        clock: Callable[[], datetime],
        funding: FundingRail,
    ) -> None:
        self.runtime = runtime
        self.funding = funding
        self.publisher = publisher
        self.compliance = compliance
        self.payouts = payouts
        self.settlement = settlement
        self.clock = clock
        self.ledger = Ledger(runtime.db)
        self._steps: dict[TransferState, Callable[[str], TransferState]] = {
            _S.QUOTED: self._fund,
            _S.FUNDED: self._check_compliance,
            _S.COMPLIANCE_PASSED: self._hand_over,
            _S.SENT: self._pay_out,
            _S.PAID_OUT: self._complete,
            _S.FAILED: self._refund,
        }

    def register(self) -> None:
        self.runtime.jobs.register(ADVANCE_JOB, self.advance, max_attempts=ADVANCE_ATTEMPTS)

    def schedule(self, transfer_id: str, state: TransferState) -> None:
        """Enqueue the step that leaves ``state`` (nothing for held or terminal states).

        A dead step job under the same dedup key is revived: scheduling is how a
        stranded transfer moves again (see :mod:`zkredit.agents.common.reconciler`).
        """
        if state in self._steps:
            self.runtime.jobs.ensure(
                ADVANCE_JOB,
                {"transfer_id": transfer_id, "state": state.value},
                dedup_key=f"advance:{transfer_id}:{state.value}",
            )

    def resume(self) -> int:
        """Schedule the next step of every unfinished transfer; returns how many.

        Called at start-up and by the reconciler: a step that committed but died
        before scheduling its successor (or a request that died before scheduling the
        first) is picked up, and a step whose job died is revived. Dedup keys make this
        a no-op for steps already queued, running or done.
        """
        with self.runtime.db.session() as s:
            pending = RemittanceRepository(s).transfers_in([state.value for state in self._steps])
        for transfer_id, state in pending:
            self.schedule(transfer_id, TransferState(state))
        return len(pending)

    def advance(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Job handler: run the step leaving ``payload["state"]`` if the transfer is still there."""
        transfer_id, expected = str(payload["transfer_id"]), TransferState(payload["state"])
        self.publisher.publish(transfer_id)  # events a crash left unpublished
        current = self._state(transfer_id)
        if current is expected:
            current = self._steps[expected](transfer_id)
            self.publisher.publish(transfer_id)
        self.schedule(transfer_id, current)
        return {"transfer_id": transfer_id, "state": current.value}

    def _state(self, transfer_id: str) -> TransferState:
        with self.runtime.db.session() as s:
            row = RemittanceRepository(s).transfer(transfer_id)
            if row is None:
                raise UnknownTransfer(f"no transfer {transfer_id!r}")
            return TransferState(row.state)

    def _locked(self, transfer_id: str, lock: str | None = None) -> Any:
        return self.runtime.db.session(lock=lock or transfer_lock(transfer_id))

    @staticmethod
    def _row(repo: RemittanceRepository, transfer_id: str) -> TransferRow:
        row = repo.transfer(transfer_id)
        if row is None:
            raise UnknownTransfer(f"no transfer {transfer_id!r}")
        return row

    # -- steps ------------------------------------------------------------------

    def _fund(self, transfer_id: str) -> TransferState:
        with self._locked(transfer_id) as s:
            repo = RemittanceRepository(s)
            row = self._row(repo, transfer_id)
            if row.state != _S.QUOTED:
                return TransferState(row.state)
            t = amounts_of(row)
            request = PayInRequest(payin_reference(row.id), t.principal + t.fee,
                                   payer=row.sender_wallet or row.requested_by,
                                   transfer_id=row.id)
            row.payin_reference = request.reference
            quote = repo.quote(row.quote_id) if row.quote_id else None
            expires_at = quote_of(quote).expires_at if quote is not None else None
        collection = self._collect(request, expires_at)
        with self._locked(transfer_id) as s:
            repo = RemittanceRepository(s)
            row = self._row(repo, transfer_id)
            if row.state != _S.QUOTED:
                return TransferState(row.state)
            now = self.clock()
            if collection.status is CollectionStatus.COLLECTED and (
                    collection.amount == request.amount):
                entry = books.funded(amounts_of(row), reference=request.reference,
                                     rail=self.funding.name)
                self.ledger.post(entry, reference=row.id, session=s)
                row.funded_at = now
                return move(repo, row, _E.FUND, now)
            if collection.status is CollectionStatus.CANCELLED:
                reason = (f"the quote expired before pay-in {request.reference} was collected"
                          f"{': ' + collection.reason if collection.reason else ''}")
                row.reasons = [*row.reasons, reason]
                return move(repo, row, _E.EXPIRE, now, reason)
            reason = _unfunded_reason(collection)
            row.reasons = [*row.reasons, reason]
            self.runtime.record("remittance.funding.refused", {
                "transfer_id": row.id, "reference": request.reference,
                "status": collection.status.value, "reason": reason}, session=s)
            return move(repo, row, _E.FAIL_FUNDING, now, reason)

    def _collect(self, request: PayInRequest, expires_at: datetime | None) -> Collection:
        """The pay-in once it is settled (collected, failed, returned or cancelled).

        Network calls only, outside any transaction. A pending pay-in raises
        :class:`FundingPending` (the job retries) until the quote expires; then it is
        cancelled. A collection of the wrong amount is sent back before the transfer
        is refused, so a crash in between finds it ``returned`` and refuses it again.
        """
        try:
            collection = self.funding.open(request)
            if collection.status is CollectionStatus.PENDING:
                if expires_at is None or self.clock() < expires_at:
                    raise FundingPending(
                        f"pay-in {request.reference} of {request.amount} is not collected yet")
                collection = self.funding.cancel(request.reference, "the quote expired")
            if collection.status is CollectionStatus.COLLECTED and (
                    collection.amount != request.amount):
                collection = self.funding.refuse(
                    request.reference, f"collected {collection.amount}, expected "
                    f"{collection.expected}: returned to the payer")
        except FundingRailError as exc:
            raise FundingPending(
                f"the {self.funding.name} rail did not answer for pay-in "
                f"{request.reference}: {exc.message}") from exc
        if collection.status is CollectionStatus.PENDING:  # cancel lost to a late payment
            raise FundingPending(f"pay-in {request.reference} is still pending")
        return collection

    def _check_compliance(self, transfer_id: str) -> TransferState:
        with self._locked(transfer_id, COMPLIANCE_LOCK) as s:
            repo = RemittanceRepository(s)
            row = self._row(repo, transfer_id)
            if row.state != _S.FUNDED:
                return TransferState(row.state)
            now = self.clock()
            verdict = self.compliance.assess(repo, row, now)
            row.reasons = list(verdict.reasons)
            reason = "; ".join(verdict.reasons) or None
            if verdict.event is _E.PASS_COMPLIANCE:
                self.book_fee(s, row)
            return move(repo, row, verdict.event, now, reason)

    def book_fee(self, s: Any, row: TransferRow) -> None:
        """Book the fee once compliance passes (also after a manual approval)."""
        entry = books.fee_earned(amounts_of(row))
        if entry is not None:
            self.ledger.post(entry, reference=row.id, session=s)

    def _hand_over(self, transfer_id: str) -> TransferState:
        with self._locked(transfer_id) as s:
            repo = RemittanceRepository(s)
            row = self._row(repo, transfer_id)
            if row.state != _S.COMPLIANCE_PASSED:
                return TransferState(row.state)
            self.ledger.post(books.exchanged(amounts_of(row)), reference=row.id, session=s)
            return move(repo, row, _E.SEND, self.clock())

    def _pay_out(self, transfer_id: str) -> TransferState:
        with self.runtime.db.session() as s:
            row = self._row(RemittanceRepository(s), transfer_id)
            if row.state != _S.SENT:
                return TransferState(row.state)
            request = self._payout_request(row)
        try:
            reply = self._ask_for_payout(transfer_id, request)
        except PayoutPending as pending:
            self._escalate_on_last_attempt(transfer_id, pending)
            raise
        status = reply.get("status")
        with self._locked(transfer_id) as s:
            repo = RemittanceRepository(s)
            row = self._row(repo, transfer_id)
            if row.state != _S.SENT:
                return TransferState(row.state)
            now = self.clock()
            t = amounts_of(row)
            row.payout_id = str(reply.get("payout_id") or "") or None
            row.payout_confirmation = str(reply.get("confirmation") or "") or None
            if status == "paid_out":
                self.ledger.post(books.paid_out(t), reference=row.id, session=s)
                return move(repo, row, _E.CONFIRM_PAYOUT, now)
            reason = f"payout failed: {reply.get('reason') or 'no reason given'}"
            row.reasons = [*row.reasons, reason]
            self.ledger.post(books.exchange_reversed(t), reference=row.id, session=s)
            return move(repo, row, _E.FAIL_PAYOUT, now, reason)

    @staticmethod
    def _payout_request(row: TransferRow) -> dict[str, Any]:
        t = amounts_of(row)
        request: dict[str, Any] = {
            "transfer_id": row.id,
            "amount": {"amount_minor": t.received.minor, "currency": t.received.currency.code},
            "recipient": dict(row.recipient),
            "route": row.route,
        }
        if row.purpose:
            request["purpose"] = row.purpose
        if row.travel_rule is not None:
            request["travel_rule"] = dict(row.travel_rule)
        return request

    def _ask_for_payout(self, transfer_id: str, request: dict[str, Any]) -> dict[str, Any]:
        """The receiver's payout record: ``paid_out`` or ``failed``; else PayoutPending."""
        try:
            reply = self.payouts.request_payout(request, idempotency_key=transfer_id)
        except PeerError as exc:
            # Ambiguous: maybe an earlier attempt paid. Ask what the receiver recorded.
            try:
                reply = self.payouts.payout_status(transfer_id)
            except PeerError as lookup:
                raise PayoutPending(
                    f"payout of {transfer_id} not confirmed: {exc.message}; "
                    f"status lookup: {lookup.message}"
                ) from exc
        status = reply.get("status")
        if status not in SETTLED_PAYOUTS:
            raise PayoutPending(f"the receiver has payout {transfer_id} as {status!r}")
        return reply

    def _escalate_on_last_attempt(self, transfer_id: str, pending: PayoutPending) -> None:
        """Hand the transfer to a person when the job's last attempt is still unconfirmed."""
        try:
            job = current_job()
        except LookupError:  # called outside a job: nothing is exhausted
            return
        if job.attempt < ADVANCE_ATTEMPTS:
            return
        with self._locked(transfer_id) as s:
            row = self._row(RemittanceRepository(s), transfer_id)
            if row.state != _S.SENT or REVIEW_REASON in row.reasons:
                return
            row.reasons = [*row.reasons, REVIEW_REASON]
            row.updated_at = self.clock()
            self.runtime.record("remittance.payout.review", {
                "transfer_id": transfer_id, "attempts": job.attempt,
                "last_error": pending.message}, session=s)
        self.runtime.log("payout escalated to review", transfer_id=transfer_id)

    def _complete(self, transfer_id: str) -> TransferState:
        with self.runtime.db.session() as s:
            row = self._row(RemittanceRepository(s), transfer_id)
            if row.state != _S.PAID_OUT:
                return TransferState(row.state)
            t = amounts_of(row)
            request = SettlementRequest(row.id, t.received, row.payout_id, row.route)
        tx_hash = self.settlement.settle(request)
        audit = self.runtime.audit
        head = audit.head()
        anchors = audit.anchors()
        with self._locked(transfer_id) as s:
            repo = RemittanceRepository(s)
            row = self._row(repo, transfer_id)
            if row.state != _S.PAID_OUT:
                return TransferState(row.state)
            now = self.clock()
            row.settlement_tx = tx_hash
            quote = repo.quote(row.quote_id) if row.quote_id else None
            row.receipt = build_receipt(
                row,
                quote,
                repo.history(row.id),
                repo.ledger_entry_ids(row.id),
                head,
                anchors[-1] if anchors else None,
                self.settlement.chain_id,
                now,
            )
            return move(repo, row, _E.COMPLETE, now)

    def _refund(self, transfer_id: str) -> TransferState:
        with self._locked(transfer_id) as s:
            repo = RemittanceRepository(s)
            row = self._row(repo, transfer_id)
            if row.state != _S.FAILED:
                return TransferState(row.state)
            t = amounts_of(row)
            exchanged, reversed_ = books.exchanged(t), books.exchange_reversed(t)
            if repo.entry_booked(exchanged.id) and not repo.entry_booked(reversed_.id):
                self.ledger.post(reversed_, reference=row.id, session=s)
            fee_earned = repo.entry_booked(f"{row.id}:fee")
            self.ledger.post(books.refunded(t, fee_earned=fee_earned), reference=row.id, session=s)
            reason = "principal returned to the sender" + (
                "" if fee_earned else " with the fee (never earned)"
            )
            return move(repo, row, _E.REFUND, self.clock(), reason)


def _unfunded_reason(collection: Collection) -> str:
    if collection.status is CollectionStatus.RETURNED:
        return (f"pay-in {collection.reference} collected {collection.amount}, not the "
                f"quoted total {collection.expected}; returned to the payer")
    if collection.status is CollectionStatus.COLLECTED:  # a rail that does not return
        return (f"pay-in {collection.reference} collected {collection.amount}, not the "
                f"quoted total {collection.expected}")
    return (f"pay-in {collection.reference} of {collection.expected} failed: "
            f"{collection.reason or 'no reason given'}")
