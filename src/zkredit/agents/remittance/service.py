"""The remittance agent's services: quotes, transfer requests, status, disbursements, review.

Requests are accepted here and executed by :class:`TransferPipeline` jobs. A
transfer request is idempotent by its ``Idempotency-Key`` (scoped to the
requesting agent): the same key and payload replay the first reply, the same
key with another payload is a conflict. A disbursement is idempotent by its
loan id.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from zkredit.agents.common.app import AgentCard
from zkredit.agents.common.envelope import canonical_json
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.remittance.disputes import DisputeRefunds
from zkredit.agents.remittance.errors import (
    IdempotencyConflict,
    MissingIdempotencyKey,
    NotUnderReview,
    QuoteAlreadyUsed,
    RequestInProgress,
    SenderNotAllowed,
    UnknownQuote,
    UnknownTransfer,
)
from zkredit.agents.remittance.events import CREATED, EventPublisher, move
from zkredit.agents.remittance.identity import parse_identity_proof
from zkredit.agents.remittance.metrics import RemittanceMetrics
from zkredit.agents.remittance.models import TransferRow
from zkredit.agents.remittance.pipeline import TransferPipeline, transfer_lock
from zkredit.agents.remittance.repository import RemittanceRepository, quote_of, quote_row
from zkredit.agents.remittance.schemas import (
    CurrencyTotalsJson,
    DisbursementRequest,
    HistoryItem,
    MoneyJson,
    QuoteJson,
    QuoteReply,
    QuoteRequest,
    ReviewDecision,
    TransferReply,
    TransferRequest,
    TransferStatus,
    TrialBalanceJson,
    parse_payload,
)
from zkredit.agents.remittance.webhooks import WebhookService
from zkredit.domain.errors import RateUnavailableError, UnknownCorridorError
from zkredit.domain.fees import FeeSchedule
from zkredit.domain.fx import RateProvider
from zkredit.domain.money import Money, currency
from zkredit.domain.quote import make_quote, make_quote_for_received
from zkredit.domain.remittance import TransferEvent, TransferState
from zkredit.domain.sanctions import normalize_address
from zkredit.errors import InputError
from zkredit.store.idempotency import Claim, IdempotencyStore, request_hash
from zkredit.store.ledger import Ledger
from zkredit.telemetry import metrics as telemetry

TRANSFER_ROUTE = "remittance.transfer.request"
MAX_KEY_LENGTH = 180


def _fingerprint(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(dict(payload))).hexdigest()


class RemittanceService:
    """What senders, lenders and compliance officers ask of the remittance agent."""

    def __init__(
        self,
        runtime: PartyRuntime,
        pipeline: TransferPipeline,
        publisher: EventPublisher,
        *,
        rates: RateProvider,
        schedule: FeeSchedule,
        clock: Callable[[], datetime],
        proof_scope: int,
        payout_agent: str = "receiver",
        lender_agent: str = "credit",
    ) -> None:
        self.proof_scope = proof_scope
        """Derived from this provider (review F-1): the nullifier is the sender's pseudonym."""
        self.runtime = runtime
        self.pipeline = pipeline
        self.publisher = publisher
        self.rates = rates
        self.schedule = schedule
        self.clock = clock
        self.payout_agent = payout_agent
        self.lender_agent = lender_agent
        self.idempotency = IdempotencyStore(runtime.db, clock=clock)

    # -- quotes -----------------------------------------------------------------

    def quote(self, request: QuoteRequest, requested_by: str) -> QuoteReply:
        """Price a transfer, lock it for 60 s and hand out this provider's proof scope."""
        src, dst = currency(request.send_currency), currency(request.receive_currency)
        now = self.clock()
        try:
            markup = self.schedule.corridor(src, dst).markup_bps
            if request.send_amount_minor is not None:
                q = make_quote(
                    provider=self.rates,
                    schedule=self.schedule,
                    principal=Money(request.send_amount_minor, src),
                    destination=dst,
                    route=request.route,
                    markup_bps=markup,
                    now=now,
                )
            else:
                assert request.receive_amount_minor is not None
                q = make_quote_for_received(
                    provider=self.rates,
                    schedule=self.schedule,
                    source=src,
                    received=Money(request.receive_amount_minor, dst),
                    route=request.route,
                    markup_bps=markup,
                    now=now,
                )
        except (UnknownCorridorError, RateUnavailableError) as exc:
            raise InputError(exc.message, hint=exc.hint) from None
        quote_id = f"qt_{uuid.uuid4().hex}"
        scope = str(self.proof_scope)
        with self.runtime.db.session() as s:
            RemittanceRepository(s).add_quote(quote_row(quote_id, scope, requested_by, q))
        self.runtime.log("quote issued", quote_id=quote_id, route=q.route.value)
        telemetry.current().quote_issued(q.route.value, q.total_cost_bps)
        return QuoteReply(quote_id=quote_id, scope=scope, quote=QuoteJson.of(q))

    # -- transfers ----------------------------------------------------------------

    def request_transfer(
        self, payload: Mapping[str, Any], idempotency_key: str | None, requested_by: str
    ) -> TransferReply:
        """Accept a transfer once per idempotency key; replay or refuse repeats."""
        if not idempotency_key:
            raise MissingIdempotencyKey(
                "a transfer request needs an Idempotency-Key header",
                hint="Send a fresh random key per transfer and reuse it only to retry.",
            )
        if len(idempotency_key) > MAX_KEY_LENGTH:
            raise InputError(f"the Idempotency-Key is longer than {MAX_KEY_LENGTH} characters")
        key = f"{requested_by}:{idempotency_key}"
        fingerprint = request_hash("POST", TRANSFER_ROUTE, canonical_json(dict(payload)))
        claim = self.idempotency.begin(key, TRANSFER_ROUTE, fingerprint)
        if claim.claim is Claim.REPLAY:
            return TransferReply.model_validate_json(claim.response_body or "{}")
        if claim.claim is Claim.CONFLICT:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used for a different transfer request",
                hint="Use a new key for a new transfer; reuse a key only to retry the same body.",
            )
        if claim.claim is Claim.IN_PROGRESS:
            # Either a concurrent twin is running, or the process died between creating
            # the transfer and storing the reply: then the transfer itself answers.
            existing = self._transfer_for_key(key, payload)
            if existing is None:
                raise RequestInProgress("this transfer request is still being processed; retry")
            return self._start(*existing)
        # NEW may be a takeover of a claim whose holder died after creating the transfer.
        created = self._transfer_for_key(key, payload)
        if created is None:
            try:
                created = self._create_transfer(payload, key, requested_by)
            except BaseException:
                self.idempotency.release(key)  # nothing was stored: a retry may run afresh
                raise
        reply = self._start(*created)
        self.idempotency.complete(key, 200, reply.model_dump_json())
        return reply

    def _start(self, transfer_id: str, state: TransferState) -> TransferReply:
        """Publish what is pending and schedule the next step (both idempotent)."""
        self.publisher.publish(transfer_id)
        self.pipeline.schedule(transfer_id, state)
        return TransferReply(transfer_id=transfer_id, state=state.value)

    def _transfer_for_key(
        self, key: str, payload: Mapping[str, Any]
    ) -> tuple[str, TransferState] | None:
        with self.runtime.db.session() as s:
            row = RemittanceRepository(s).transfer_by_key(key)
            if row is None:
                return None
            if row.request_hash != _fingerprint(payload):
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different transfer request"
                )
            return row.id, TransferState(row.state)

    def _create_transfer(
        self, payload: Mapping[str, Any], key: str, requested_by: str
    ) -> tuple[str, TransferState]:
        req = parse_payload(TransferRequest, payload)
        parse_identity_proof(req.identity_proof)
        wallet = normalize_address(req.sender_wallet)
        self._check_travel_rule(req.travel_rule.encrypted_to if req.travel_rule else None)
        now = self.clock()
        transfer_id = f"tr_{uuid.uuid4().hex}"
        try:
            with self.runtime.db.session(lock=f"remittance-quote:{req.quote_id}") as s:
                repo = RemittanceRepository(s)
                quote = repo.quote(req.quote_id)
                if quote is None:
                    raise UnknownQuote(f"no quote {req.quote_id!r}", hint="Request a quote first.")
                if repo.transfer_by_quote(quote.id) is not None:
                    raise QuoteAlreadyUsed(f"quote {quote.id} already funds another transfer")
                q = quote_of(quote)
                row = TransferRow(
                    id=transfer_id,
                    kind="remittance",
                    state=TransferState.QUOTED.value,
                    quote_id=quote.id,
                    idempotency_key=key,
                    request_hash=_fingerprint(payload),
                    requested_by=requested_by,
                    sender_wallet=wallet,
                    route=q.route.value,
                    send_currency=q.sent.currency.code,
                    sent_minor=q.sent.minor,
                    fee_minor=q.fee.total.minor,
                    receive_currency=q.received.currency.code,
                    received_minor=q.received.minor,
                    recipient=req.recipient.model_dump(),
                    purpose=req.purpose or None,
                    travel_rule=req.travel_rule.model_dump() if req.travel_rule else None,
                    identity_proof=req.identity_proof,
                    reasons=[],
                    created_at=now,
                    updated_at=now,
                )
                repo.add_transfer(row)
                repo.add_event(transfer_id, CREATED, None, row.state, now)
                if q.is_expired(now):
                    reason = f"the quote expired at {q.expires_at.isoformat()}; request a new one"
                    row.reasons = [reason]
                    move(repo, row, TransferEvent.EXPIRE, now, reason)
                state = TransferState(row.state)
        except IntegrityError:
            raise QuoteAlreadyUsed(f"quote {req.quote_id} already funds another transfer") from None
        return transfer_id, state

    def _check_travel_rule(self, encrypted_to: str | None) -> None:
        if encrypted_to is not None and encrypted_to != self.payout_agent:
            raise InputError(
                f"travel-rule data must be encrypted to the {self.payout_agent} agent, "
                f"not {encrypted_to!r}",
                hint=f"Encrypt to the key the {self.payout_agent} agent publishes.",
            )

    def status(self, transfer_id: str) -> TransferStatus:
        with self.runtime.db.session() as s:
            repo = RemittanceRepository(s)
            row = repo.transfer(transfer_id)
            if row is None:
                raise UnknownTransfer(f"no transfer {transfer_id!r}")
            return self._status_of(repo, row)

    @staticmethod
    def _status_of(repo: RemittanceRepository, row: TransferRow) -> TransferStatus:
        src, dst = currency(row.send_currency), currency(row.receive_currency)
        return TransferStatus(
            transfer_id=row.id,
            kind=row.kind,
            state=row.state,
            route=row.route,
            sent=MoneyJson.of(Money(row.sent_minor, src)),
            received=MoneyJson.of(Money(row.received_minor, dst)),
            history=[
                HistoryItem(state=e.to_state, event=e.event, at=e.at, reason=e.reason)
                for e in repo.history(row.id)
            ],
            reasons=list(row.reasons or []),
            receipt=row.receipt,
            payin_reference=row.payin_reference,
        )

    # -- disbursements -------------------------------------------------------------

    def disburse(self, payload: Mapping[str, Any], requested_by: str) -> TransferReply:
        """A loan paid out to the borrower's account: same currency, no proof, idempotent."""
        if requested_by != self.lender_agent:
            raise SenderNotAllowed(
                f"only the {self.lender_agent} agent may request disbursements, "
                f"not {requested_by!r}"
            )
        req = parse_payload(DisbursementRequest, payload)
        self._check_travel_rule(req.travel_rule.encrypted_to if req.travel_rule else None)
        amount = req.amount.to_money()
        if amount.minor <= 0:
            raise InputError(f"the disbursed amount must be positive. Got {amount}")
        fingerprint = _fingerprint(payload)
        existing = self._disbursement_of(req.loan_id, fingerprint)
        if existing is not None:
            return self._start(*existing)
        now = self.clock()
        transfer_id = f"tr_{uuid.uuid4().hex}"
        try:
            with self.runtime.db.session(lock=f"remittance-loan:{req.loan_id}") as s:
                repo = RemittanceRepository(s)
                row = TransferRow(
                    id=transfer_id,
                    kind="disbursement",
                    state=TransferState.QUOTED.value,
                    loan_id=req.loan_id,
                    request_hash=fingerprint,
                    requested_by=requested_by,
                    route=req.route.value,
                    send_currency=amount.currency.code,
                    sent_minor=amount.minor,
                    fee_minor=0,
                    receive_currency=amount.currency.code,
                    received_minor=amount.minor,
                    recipient=req.recipient.model_dump(),
                    purpose=req.purpose or None,
                    travel_rule=req.travel_rule.model_dump() if req.travel_rule else None,
                    reasons=[],
                    created_at=now,
                    updated_at=now,
                )
                repo.add_transfer(row)
                repo.add_event(transfer_id, CREATED, None, row.state, now)
        except IntegrityError:  # the same loan, concurrently
            found = self._disbursement_of(req.loan_id, fingerprint)
            if found is None:
                raise
            return self._start(*found)
        return self._start(transfer_id, TransferState.QUOTED)

    def disbursement_status(self, loan_id: str, requested_by: str) -> TransferStatus:
        """How the disbursement of ``loan_id`` stands, for the lender that asked for it.

        The credit agent follows its disbursement to a terminal state with this: a
        payout that fails is refunded here, and the lender must then undo the loan.
        """
        if requested_by != self.lender_agent:
            raise SenderNotAllowed(
                f"only the {self.lender_agent} agent may look up disbursements, "
                f"not {requested_by!r}"
            )
        with self.runtime.db.session() as s:
            repo = RemittanceRepository(s)
            row = repo.transfer_by_loan(loan_id)
            if row is None:
                raise UnknownTransfer(f"no disbursement for loan {loan_id!r}")
            return self._status_of(repo, row)

    def _disbursement_of(self, loan_id: str, fingerprint: str) -> tuple[str, TransferState] | None:
        with self.runtime.db.session() as s:
            row = RemittanceRepository(s).transfer_by_loan(loan_id)
            if row is None:
                return None
            if row.request_hash != fingerprint:
                raise IdempotencyConflict(
                    f"loan {loan_id} was already disbursed with a different request"
                )
            return row.id, TransferState(row.state)

    # -- manual review ---------------------------------------------------------------

    def review(self, transfer_id: str, decision: ReviewDecision) -> TransferStatus:
        """A compliance officer's verdict on a held transfer."""
        with self.runtime.db.session(lock=transfer_lock(transfer_id)) as s:
            repo = RemittanceRepository(s)
            row = repo.transfer(transfer_id)
            if row is None:
                raise UnknownTransfer(f"no transfer {transfer_id!r}")
            if row.state != TransferState.HELD:
                raise NotUnderReview(f"transfer {transfer_id} is {row.state}, not held")
            now = self.clock()
            note = f": {decision.note}" if decision.note else ""
            if decision.decision == "approve":
                self.pipeline.book_fee(s, row)
                reason = f"approved by {decision.reviewer}{note}"
                state = move(repo, row, TransferEvent.PASS_COMPLIANCE, now, reason)
            else:
                reason = f"rejected by {decision.reviewer}{note}"
                row.reasons = [*row.reasons, reason]
                state = move(repo, row, TransferEvent.FAIL_COMPLIANCE, now, reason)
        self.publisher.publish(transfer_id)
        self.pipeline.schedule(transfer_id, state)
        return self.status(transfer_id)

    # -- books -----------------------------------------------------------------------

    def trial_balance(self) -> TrialBalanceJson:
        tb = Ledger(self.runtime.db).trial_balance()
        return TrialBalanceJson(
            balanced=tb.balanced,
            currencies=[
                CurrencyTotalsJson(
                    currency=t.currency.code, debits_minor=t.debits, credits_minor=t.credits
                )
                for t in tb.totals
            ],
        )


@dataclass
class RemittanceServices:
    """Everything the remittance agent's app serves, built by :func:`build_services`."""

    runtime: PartyRuntime
    remittance: RemittanceService
    pipeline: TransferPipeline
    webhooks: WebhookService
    metrics: RemittanceMetrics
    card: AgentCard
    disputes: DisputeRefunds
