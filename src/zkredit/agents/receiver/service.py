"""The receiver agent's services: payouts (idempotent by transfer id) and disputes.

A payout is claimed first (a ``pending`` row, unique per transfer), then the
recipient and the travel-rule data are checked, then the rail pays, then the
outcome is recorded with its ledger entry. A repeat of the same request returns
the recorded outcome; a request found ``pending`` (a crash, or a concurrent
retry) runs the rail again, which is idempotent by payout id.

Disputes are opened on paid-out payouts and move ``open → resolved | refunded``.
A refund is booked against the partner's prefunding as a dispute loss, and passed
on (review F13): a job tells the payer agent in a signed
``remittance.dispute.refunded``, retried until it is recorded there, so the
remittance agent refunds the sender (and, for a loan disbursement, the lender
reverses the loan).
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
from zkredit.agents.common.paging import newest_first
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.receiver.errors import (
    DisputeNotAllowed,
    PayoutConflict,
    SenderNotAllowed,
    UnknownDispute,
    UnknownPayout,
)
from zkredit.agents.receiver.models import DisputeRow, PayoutRow
from zkredit.agents.receiver.rails import PayoutInstruction, PayoutRail, PayoutStatus
from zkredit.agents.receiver.recipients import RecipientDirectory
from zkredit.agents.receiver.repository import ReceiverRepository
from zkredit.agents.receiver.schemas import (
    DisputeOpen,
    DisputeOut,
    DisputeResolve,
    PayoutLookup,
    PayoutReply,
    PayoutRequest,
    PayoutSummary,
    parse_payload,
)
from zkredit.agents.receiver.travel_rule import TravelRuleError, TravelRuleKey
from zkredit.domain.fees import Route
from zkredit.domain.ledger import (
    Account,
    JournalEntry,
    cash,
    credit,
    debit,
    partner_prefunding,
)
from zkredit.domain.money import Currency, Money, currency
from zkredit.domain.sanctions import normalize_name
from zkredit.store.ledger import Ledger

PENDING = "pending"
DISPUTE_LOCK = "receiver-disputes"
REFUND_NOTICE_JOB = "receiver.dispute.refund_notice"
REFUND_NOTICE_ATTEMPTS = 16
"""Tries to tell the payer of a dispute refund (backoff 1 s doubling to 300 s: ~40 min);
:meth:`ReceiverService.resume` revives the notice after that."""
REFUND_NOTICE = "remittance.dispute.refunded"
# Read-then-write units of work take a named lock: on SQLite (WAL) a deferred
# transaction that read first cannot upgrade to a writer once another one committed.


def _payout_lock(transfer_id: str) -> str:
    return f"receiver-payout:{transfer_id}"


def dispute_losses(ccy: Currency) -> Account:
    """Payouts refunded to the partner after a dispute."""
    return Account(f"expenses:disputes:{ccy}")


def _fingerprint(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(dict(payload))).hexdigest()


def _reply(row: PayoutRow) -> PayoutReply:
    return PayoutReply(
        payout_id=row.id,
        transfer_id=row.transfer_id,
        status=row.status,
        reason=row.reason,
        confirmation=row.confirmation,
        paid_at=row.paid_at,
    )


def _dispute(row: DisputeRow) -> DisputeOut:
    return DisputeOut(
        dispute_id=row.id,
        payout_id=row.payout_id,
        transfer_id=row.transfer_id,
        state=row.state,
        reason=row.reason,
        opened_by=row.opened_by,
        resolution=row.resolution,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True)
class _Outcome:
    status: PayoutStatus
    reason: str | None = None
    confirmation: str | None = None
    rail: str | None = None
    institution: str | None = None
    travel_rule_verified: bool = False


class ReceiverService:
    """Pays recipients for the remittance agent and handles disputes."""

    def __init__(
        self,
        runtime: PartyRuntime,
        directory: RecipientDirectory,
        rails: Mapping[Route, PayoutRail],
        travel_key: TravelRuleKey,
        *,
        clock: Callable[[], datetime],
        payer_agent: str = "remittance",
    ) -> None:
        self.runtime = runtime
        self.directory = directory
        self.rails = dict(rails)
        self.travel_key = travel_key
        self.clock = clock
        self.payer_agent = payer_agent
        self.ledger = Ledger(runtime.db)

    def register(self) -> None:
        self.runtime.jobs.register(REFUND_NOTICE_JOB, self._job_refund_notice,
                                   max_attempts=REFUND_NOTICE_ATTEMPTS)

    def resume(self) -> int:
        """Ensure the notice of every refunded dispute (the reconciler's hook): one whose
        job died, or whose process died between the refund and the job, is sent again;
        a notice already delivered is a no-op. Returns how many refunds there are."""
        with self.runtime.db.session() as s:
            refunded = ReceiverRepository(s).refunded_dispute_ids()
        for dispute_id in refunded:
            self._notify_later(dispute_id)
        return len(refunded)

    # -- payouts -----------------------------------------------------------------

    def payout(self, payload: Mapping[str, Any], requested_by: str) -> PayoutReply:
        """Pay a recipient once per transfer id; repeats return the recorded outcome."""
        if requested_by != self.payer_agent:
            raise SenderNotAllowed(
                f"only the {self.payer_agent} agent may request payouts, not {requested_by!r}"
            )
        req = parse_payload(PayoutRequest, payload)
        amount = req.amount.to_money()
        claimed = self._claim(req, amount, _fingerprint(payload), requested_by)
        if claimed.status != PENDING:
            return _reply(claimed)
        outcome = self._execute(claimed.id, req, amount)
        return self._finish(req.transfer_id, claimed.id, outcome)

    def _claim(
        self, req: PayoutRequest, amount: Money, fingerprint: str, requested_by: str
    ) -> PayoutRow:
        now = self.clock()
        try:
            with self.runtime.db.session(lock=_payout_lock(req.transfer_id)) as s:
                repo = ReceiverRepository(s)
                existing = repo.payout_for_transfer(req.transfer_id)
                if existing is None:
                    existing = PayoutRow(
                        id=f"po_{uuid.uuid4().hex}",
                        transfer_id=req.transfer_id,
                        requested_by=requested_by,
                        request_hash=fingerprint,
                        status=PENDING,
                        amount_minor=amount.minor,
                        currency=amount.currency.code,
                        route=req.route.value,
                        recipient=req.recipient.model_dump(),
                        travel_rule_ciphertext=req.travel_rule.ciphertext
                        if req.travel_rule
                        else None,
                        travel_rule_verified=False,
                        created_at=now,
                        updated_at=now,
                    )
                    repo.add_payout(existing)
                elif existing.request_hash != fingerprint:
                    raise PayoutConflict(
                        f"transfer {req.transfer_id} was already paid with a different request"
                    )
                return existing
        except IntegrityError:  # a concurrent first request won the claim
            with self.runtime.db.session() as s:
                found = ReceiverRepository(s).payout_for_transfer(req.transfer_id)
            if found is None or found.request_hash != fingerprint:
                raise PayoutConflict(f"transfer {req.transfer_id} is being paid already") from None
            return found

    def _execute(self, payout_id: str, req: PayoutRequest, amount: Money) -> _Outcome:
        r = req.recipient
        check = self.directory.verify(
            name=r.name, account=r.account, bank=r.bank, country=r.country, route=req.route
        )
        if not check.ok or check.institution is None:
            return _Outcome(PayoutStatus.FAILED, check.reason)
        verified = False
        if req.travel_rule is not None:
            problem = self._travel_rule_problem(req.travel_rule.ciphertext, r.name)
            if problem is not None:
                return _Outcome(PayoutStatus.FAILED, problem, institution=check.institution.name)
            verified = True
        rail = self.rails[req.route]
        result = rail.pay(
            PayoutInstruction(
                payout_id=payout_id,
                amount=amount,
                route=req.route,
                institution=check.institution.name,
                account=check.account,
                beneficiary=r.name,
            )
        )
        return _Outcome(
            result.status,
            result.reason,
            result.reference,
            rail.name,
            check.institution.name,
            verified,
        )

    def _travel_rule_problem(self, ciphertext: str, recipient_name: str) -> str | None:
        """Why the travel-rule data is not acceptable, or ``None``. Its content is not kept."""
        try:
            data = self.travel_key.open(ciphertext)
        except TravelRuleError as exc:
            return exc.message
        parties = {k: data.get(k) for k in ("originator", "beneficiary")}
        for role, party in parties.items():
            if not isinstance(party, dict) or not str(party.get("name", "")).strip():
                return f"travel-rule data has no {role} name"
        beneficiary = parties["beneficiary"]
        assert isinstance(beneficiary, dict)
        if normalize_name(str(beneficiary["name"])) != normalize_name(recipient_name):
            return "the travel-rule beneficiary is not the recipient of this payout"
        return None

    def _finish(self, transfer_id: str, payout_id: str, outcome: _Outcome) -> PayoutReply:
        now = self.clock()
        with self.runtime.db.session(lock=_payout_lock(transfer_id)) as s:
            row = ReceiverRepository(s).payout(payout_id)
            if row is None:
                raise UnknownPayout(f"no payout {payout_id!r}")
            if row.status != PENDING:  # a concurrent retry recorded it first
                return _reply(row)
            row.status = outcome.status.value
            row.reason = outcome.reason
            row.confirmation = outcome.confirmation
            row.rail = outcome.rail
            row.institution = outcome.institution
            row.travel_rule_verified = outcome.travel_rule_verified
            row.updated_at = now
            if outcome.status is PayoutStatus.PAID_OUT:
                row.paid_at = now
                amount = Money(row.amount_minor, currency(row.currency))
                self.ledger.post(
                    self._payout_entry(row.id, amount), reference=row.transfer_id, session=s
                )
            reply = _reply(row)
            self.runtime.record(
                f"receiver.payout.{reply.status}",
                {
                    "payout_id": reply.payout_id,
                    "transfer_id": reply.transfer_id,
                    "confirmation": reply.confirmation,
                    "reason": reply.reason,
                },
                session=s,
            )
        self.runtime.log("payout recorded", payout_id=payout_id, status=reply.status)
        return reply

    @staticmethod
    def _payout_entry(payout_id: str, amount: Money) -> JournalEntry:
        return JournalEntry(
            f"{payout_id}:payout",
            (
                debit(partner_prefunding(amount.currency), amount),
                credit(cash(amount.currency), amount),
            ),
            f"payout {payout_id}: {amount} paid to the recipient",
        )

    def payout_status(self, lookup: PayoutLookup) -> PayoutReply:
        with self.runtime.db.session() as s:
            return _reply(self._find(ReceiverRepository(s), lookup))

    @staticmethod
    def _find(repo: ReceiverRepository, lookup: PayoutLookup) -> PayoutRow:
        if lookup.payout_id is not None:
            row = repo.payout(lookup.payout_id)
        else:
            assert lookup.transfer_id is not None
            row = repo.payout_for_transfer(lookup.transfer_id)
        if row is None:
            raise UnknownPayout(
                f"no payout for {lookup.payout_id or lookup.transfer_id!r}",
                hint="Disputes and lookups take a payout id (po_...) or a transfer id.",
            )
        return row

    # -- disputes -----------------------------------------------------------------

    def open_dispute(self, request: DisputeOpen, opened_by: str) -> DisputeOut:
        now = self.clock()
        with self.runtime.db.session(lock=DISPUTE_LOCK) as s:
            repo = ReceiverRepository(s)
            payout = self._find(repo, request)
            if payout.status != PayoutStatus.PAID_OUT:
                raise DisputeNotAllowed(
                    f"payout {payout.id} is {payout.status}; only paid-out payouts can be disputed"
                )
            if repo.open_dispute_of(payout.id) is not None:
                raise DisputeNotAllowed(f"payout {payout.id} already has an open dispute")
            row = DisputeRow(
                id=f"dp_{uuid.uuid4().hex}",
                payout_id=payout.id,
                transfer_id=payout.transfer_id,
                state="open",
                reason=request.reason,
                opened_by=opened_by,
                created_at=now,
                updated_at=now,
            )
            repo.add_dispute(row)
            out = _dispute(row)
            self.runtime.record(
                "receiver.dispute.open", {"dispute_id": out.dispute_id, "payout_id": out.payout_id},
                session=s,
            )
        return out

    def resolve_dispute(self, dispute_id: str, request: DisputeResolve) -> DisputeOut:
        now = self.clock()
        with self.runtime.db.session(lock=DISPUTE_LOCK) as s:
            repo = ReceiverRepository(s)
            row = repo.dispute(dispute_id)
            if row is None:
                raise UnknownDispute(f"no dispute {dispute_id!r}")
            if row.state != "open":
                raise DisputeNotAllowed(f"dispute {dispute_id} is already {row.state}")
            payout = repo.payout(row.payout_id)
            assert payout is not None
            row.state = request.outcome
            row.resolution = f"{request.outcome} by {request.by}" + (
                f": {request.note}" if request.note else ""
            )
            row.updated_at = now
            if request.outcome == "refunded":
                amount = Money(payout.amount_minor, currency(payout.currency))
                entry = JournalEntry(
                    f"{row.id}:refund",
                    (
                        debit(dispute_losses(amount.currency), amount),
                        credit(partner_prefunding(amount.currency), amount),
                    ),
                    f"dispute {row.id}: payout {payout.id} refunded to the partner",
                )
                self.ledger.post(entry, reference=payout.transfer_id, session=s)
            out = _dispute(row)
            self.runtime.record(
                f"receiver.dispute.{out.state}", {"dispute_id": out.dispute_id, "by": request.by},
                session=s,
            )
        if out.state == "refunded":
            self._notify_later(out.dispute_id)
        return out

    def _notify_later(self, dispute_id: str) -> None:
        self.runtime.jobs.ensure(REFUND_NOTICE_JOB, {"dispute_id": dispute_id},
                                 dedup_key=f"dispute-refund:{dispute_id}")

    def _job_refund_notice(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Tell the payer agent that the payout of a refunded dispute was taken back.

        A refusal (say, 409 while the payer has not recorded the payout yet) or an
        unreachable payer raises, and the job retries; the payer books the refund once.
        """
        dispute_id = str(payload["dispute_id"])
        with self.runtime.db.session() as s:
            repo = ReceiverRepository(s)
            row = repo.dispute(dispute_id)
            if row is None:
                raise UnknownDispute(f"no dispute {dispute_id!r}")
            payout = repo.payout(row.payout_id)
            assert payout is not None
            transfer_id = payout.transfer_id
            notice: dict[str, Any] = {
                "transfer_id": transfer_id,
                "payout_id": payout.id,
                "dispute_id": row.id,
                "amount": {"amount_minor": payout.amount_minor, "currency": payout.currency},
                "reason": row.reason[:500],  # the payer keeps a bounded reason
            }
            payer = payout.requested_by
        reply = self.runtime.peers.send(payer, REFUND_NOTICE, notice,
                                        correlation_id=transfer_id)
        self.runtime.log("dispute refund passed on", dispute_id=dispute_id,
                         transfer_id=transfer_id, state=reply.get("state"))
        return {"dispute_id": dispute_id, "payer": payer, "state": reply.get("state")}

    def payouts(self, limit: int, before: str | None) -> list[PayoutSummary]:
        """Payouts, newest first, a page at a time."""
        with self.runtime.db.session() as s:
            return [PayoutSummary(**_reply(row).model_dump(), amount_minor=row.amount_minor,
                                  currency=row.currency, route=row.route,
                                  created_at=row.created_at)
                    for row in newest_first(s, PayoutRow, limit=limit, before=before)]

    def disputes(self, limit: int, before: str | None) -> list[DisputeOut]:
        """Disputes, newest first, a page at a time."""
        with self.runtime.db.session() as s:
            return [_dispute(row)
                    for row in newest_first(s, DisputeRow, limit=limit, before=before)]

    def dispute(self, dispute_id: str) -> DisputeOut:
        with self.runtime.db.session() as s:
            row = ReceiverRepository(s).dispute(dispute_id)
            if row is None:
                raise UnknownDispute(f"no dispute {dispute_id!r}")
            return _dispute(row)


@dataclass
class ReceiverServices:
    """Everything the receiver agent's app serves, built by :func:`build_services`."""

    runtime: PartyRuntime
    receiver: ReceiverService
    travel_key: TravelRuleKey
    card: AgentCard
