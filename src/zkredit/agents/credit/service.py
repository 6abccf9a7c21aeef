"""The credit agent's services: policy, scopes, assessment, offers, loans.

Assessment (DOMAIN.md, Decision): every submitted proof is verified off chain
against the committed verification keys; its public inputs must equal this
lender's policy and the application's scope, wallet, amount and date; the
issuer keys must be trusted on chain; the KYC root must be known and recent;
the four proofs must share one nullifier this lender has not seen. The
decision itself is :func:`zkredit.domain.loans.decide`. Approved applications
are attested on chain through ``verifyAndAttestFor`` (a job), then offered.

The agent stores public signals, decisions and terms only: it never receives
the worker's raw values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from zkredit.agents.common.envelope import Envelope
from zkredit.agents.common.loan_offer import offer_signer
from zkredit.agents.common.payloads import InvalidPayload, parse_payload
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.credit.chainview import LenderChain
from zkredit.agents.credit.models import ApplicationRow, LoanRow, NullifierRow, RepaymentRow
from zkredit.agents.credit.schemas import AcceptRequest, OpenRequest, ProofJson, SubmitRequest
from zkredit.domain.ledger import loan_disbursed, loan_disbursement_reversed, loan_repayment
from zkredit.domain.loans import Approved, Evidence, decide
from zkredit.domain.money import Money, currency
from zkredit.domain.policy import CreditPolicy
from zkredit.domain.repayment import Installment, allocate, is_late
from zkredit.errors import InputError, SignatureError, ZKreditError
from zkredit.store.columns import utc
from zkredit.telemetry.metrics import record_attack
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.proof import Proof
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.statements import day_number, deny_list_hash, month_index, ymd

CIRCUITS = ("income", "credit_history", "collateral", "identity")
CRED_TYPE = {"income": 1, "credit_history": 2, "collateral": 3, "identity": 4}
MAX_ROOT_AGE_S = 30 * 86400
CLOSED_LOAN_STATES = frozenset({"repaid", "disbursement_refunded", "cancelled"})
"""Loan states that no longer hold the borrower's pseudonym with this lender."""


class ApplicationNotFound(InputError):
    """Raised for an unknown application, offer or loan id."""

    http_status = 404


class RepaymentConflict(InputError):
    """Raised when a payment reference is booked again with another amount."""

    http_status = 409


DISBURSEMENT_TRACK = "credit.disbursement.track"
TRACK_ATTEMPTS = 16
"""Looks at a disbursement before its tracking job gives up (backoff 1 s doubling to 300 s:
~40 min); the reconciler revives it after that (:meth:`CreditService.resume`)."""
DELIVERED_TRANSFER_STATES = frozenset({"paid_out", "completed"})
"""The borrower has the money: the transfer can no longer be refunded."""
RETURNED_TRANSFER_STATES = frozenset({"refunded", "expired", "unfunded"})
"""The money never reached the borrower and is back with (or never left) the lender."""


DISBURSEMENT_REFUND_NOTICE = "credit.disbursement.refunded"
"""The remittance agent's notice that a delivered disbursement was refunded after all (a
receiver dispute, F13): the loan is looked at again, delivered or not."""
BORROWER_NOTICE = "credit.borrower.notify"
"""Tells the borrower's worker agent that its loan was reversed (``worker.loan.refunded``)."""


class DisbursementPending(ZKreditError):
    """Raised inside the tracking job while the disbursement transfer is not final yet:
    the job retries with backoff."""


class ReplayRejected(ZKreditError):
    """Raised when a nullifier was already used with this lender (scenario 4)."""

    http_status = 409


def policy_to_wire(policy: CreditPolicy) -> dict[str, Any]:
    return {
        "currency": policy.currency_code,
        "min_monthly_income_minor": policy.min_monthly_income_minor,
        "min_employment_months": policy.min_employment_months,
        "min_score": policy.min_score,
        "max_late": policy.max_late,
        "max_debt_ratio_bps": policy.max_debt_ratio_bps,
        "min_history_months": policy.min_history_months,
        "min_collateral_ratio_bps": policy.min_collateral_ratio_bps,
        "max_valuation_age_days": policy.max_valuation_age_days,
        "min_age_years": policy.min_age_years,
        "denied_jurisdictions": list(policy.denied_jurisdictions),
    }


@dataclass
class CreditService:
    runtime: PartyRuntime
    catalog: CircuitCatalog
    chain: LenderChain
    policies: dict[str, CreditPolicy] = field(
        default_factory=lambda: {"NGN": CreditPolicy.default_for("NGN")}
    )
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    _verifier: Groth16pyBackend | None = None
    """The composition root passes the integrity-checked verifier; tests may omit it."""

    def register(self) -> None:
        inbox = self.runtime.inbox
        inbox.on("credit.application.open", self._on_open)
        inbox.on("credit.application.submit", self._on_submit)
        inbox.on("credit.offer.accept", self._on_accept)
        self.runtime.jobs.register("credit.attest", self._job_attest, max_attempts=5)
        self.runtime.jobs.register("credit.disburse", self._job_disburse, max_attempts=8)
        inbox.on(DISBURSEMENT_REFUND_NOTICE, self._on_disbursement_refunded)
        self.runtime.jobs.register(DISBURSEMENT_TRACK, self._job_track_disbursement,
                                   max_attempts=TRACK_ATTEMPTS)
        self.runtime.jobs.register(BORROWER_NOTICE, self._job_tell_borrower, max_attempts=8)

    @property
    def verifier(self) -> Groth16pyBackend:
        if self._verifier is None:
            self._verifier = Groth16pyBackend(self.catalog)
        return self._verifier

    def policy_for(self, code: str) -> CreditPolicy:
        try:
            return self.policies[code.upper()]
        except KeyError:
            raise InputError(
                f"this lender does not lend in {code}; it lends in {', '.join(self.policies)}"
            ) from None

    def published_policy(self) -> dict[str, Any]:
        return {code: {"policy": policy_to_wire(p), "policy_hash": self.chain.policy_hash(p)}
                for code, p in self.policies.items()}

    # -- open -----------------------------------------------------------------

    def _on_open(self, env: Envelope, _key: str | None) -> dict[str, Any]:
        p = parse_payload(OpenRequest, env.payload)
        policy = self.policy_for(p.currency)
        # Get-or-create under a lock: concurrent duplicates of one open all see one row.
        with self.runtime.db.session(lock=f"credit-open:{env.sender}:{p.worker_ref}") as s:
            row = s.scalars(select(ApplicationRow).where(
                ApplicationRow.requester == env.sender,
                ApplicationRow.worker_ref == p.worker_ref)).first()
            if row is None:
                row = ApplicationRow(
                    id=uuid.uuid4().hex, requester=env.sender, worker_ref=p.worker_ref,
                    wallet=p.wallet, scope=str(self.chain.loan_scope),
                    amount_minor=p.amount_minor, currency=policy.currency_code,
                    months=p.months, today=self.chain.today().isoformat(), status="open",
                )
                s.add(row)
                s.flush()
                self.runtime.record("application.opened", {"application_id": row.id},
                                    session=s)
            reply = {
                "application_id": row.id, "scope": row.scope, "today": row.today,
                "policy": policy_to_wire(policy), "policy_hash": self.chain.policy_hash(policy),
                "submitter": self.runtime.account.address, "chain_id": self.chain.chain_id,
                "verifier": self.chain.verifier_address, "agent_id": self.chain.agent_id,
            }
        return reply

    # -- assess -----------------------------------------------------------------

    def _on_submit(self, env: Envelope, _key: str | None) -> dict[str, Any]:
        p = parse_payload(SubmitRequest, env.payload)
        app_id = p.application_id
        with self.runtime.db.session() as s:
            row = s.get(ApplicationRow, app_id)
            if row is None or row.requester != env.sender:
                raise ApplicationNotFound(f"no application {app_id!r} for {env.sender}")
            if row.decision is not None:
                decided: dict[str, Any] = row.decision
                return decided
            snapshot = {c.name: getattr(row, c.name) for c in ApplicationRow.__table__.columns}
        proofs: dict[str, Proof] = {c: self._proof(c, data) for c, data in p.proofs.items()}
        decision = self.assess(snapshot, proofs, p.submission)
        with self.runtime.db.session(lock=f"credit-application:{app_id}") as s:
            row = s.get(ApplicationRow, app_id)
            assert row is not None
            if row.decision is not None:  # a concurrent duplicate decided first: one offer
                first: dict[str, Any] = row.decision
                return first
            row.decision = decision
            row.status = decision["status"]
            row.public_signals = {c: [str(v) for v in pr.public] for c, pr in proofs.items()}
            row.attestation = decision.get("attestation")
            self.runtime.record("application.decided", {"application_id": app_id,
                                                        "status": decision["status"],
                                                        "tier": decision.get("tier")}, session=s)
        return decision

    def _proof(self, circuit: str, data: ProofJson) -> Proof:
        """``data`` as a proof of ``circuit``, with exactly the circuit's public signals."""
        proof = Proof.from_snarkjs(data.proof, list(data.public), circuit)
        width = len(self.catalog.get(circuit).public)
        if len(proof.public) != width:
            raise InvalidPayload(f"proofs.{circuit}.public: the {circuit} circuit has {width} "
                                 f"public signals. Got {len(proof.public)}")
        return proof

    def _check(self, app: dict[str, Any], proofs: dict[str, Proof],
               policy: CreditPolicy) -> tuple[Evidence, int | None, list[str]]:
        today = dt.date.fromisoformat(app["today"])
        notes: list[str] = []
        ok = {c: c in proofs and self.verifier.verify(proofs[c]) for c in CIRCUITS}
        for c in CIRCUITS:
            if c in proofs and not ok[c]:
                notes.append(f"{c}: the proof does not verify")
        expected_common = {"scope": int(app["scope"]), "wallet": int(app["wallet"], 16)}
        expected = {
            "income": {"minMonthlyIncome": policy.min_monthly_income_minor,
                       "minEmploymentMonths": policy.min_employment_months,
                       "currency": policy.currency_numeric, "currentMonth": month_index(today)},
            "credit_history": {"minScore": policy.min_score, "maxLate": policy.max_late,
                               "maxDebtRatioBps": policy.max_debt_ratio_bps,
                               "minHistoryMonths": policy.min_history_months},
            "collateral": {"loanAmount": int(app["amount_minor"]),
                           "currency": policy.currency_numeric,
                           "minCollateralRatioBps": policy.min_collateral_ratio_bps,
                           "today": day_number(today),
                           "maxValuationAgeDays": policy.max_valuation_age_days},
            "identity": {"todayYmd": ymd(today), "minAgeYears": policy.min_age_years,
                         "denyListHash": deny_list_hash(policy.denied_jurisdictions)},
        }
        match = trusted = root_ok = True
        for c, proof in proofs.items():
            spec = self.catalog.get(c)
            values = dict(zip(spec.public, proof.public, strict=True))
            for name, want in {**expected[c], **expected_common}.items():
                if values[name] != want:
                    match = False
                    notes.append(f"{c}: public input {name} does not match the application")
            if not self.chain.is_trusted_issuer(CRED_TYPE[c], values["issuerAx"],
                                                values["issuerAy"]):
                trusted = False
                notes.append(f"{c}: the issuer key is not trusted on chain")
            if c == "identity":
                published = self.chain.root_published_at(values["kycRoot"])
                now = int(self.clock().timestamp())
                if published is None or now - published > MAX_ROOT_AGE_S:
                    root_ok = False
                    notes.append("identity: the KYC root is unknown or too old")
        nullifiers = {proof.public[0] for proof in proofs.values()}
        unused = len(nullifiers) <= 1
        if len(nullifiers) > 1:
            notes.append("the proofs do not share one nullifier")
        for n in nullifiers:
            other = self._active_owner(n, app["id"])
            if other is not None:
                unused = False
                notes.append("the nullifier was already used (replayed proofs, or this "
                             "borrower already has an active loan with this lender)")
        tier = proofs["credit_history"].public[1] if ok["credit_history"] else None
        evidence = Evidence(
            income_proof=ok["income"], credit_history_proof=ok["credit_history"],
            collateral_proof=ok["collateral"], identity_proof=ok["identity"],
            public_inputs_match_policy=match, issuers_trusted=trusted,
            kyc_root_recent=root_ok, nullifier_unused=unused, tier=tier,
        )
        return evidence, (next(iter(nullifiers)) if len(nullifiers) == 1 else None), notes

    def _nullifier_owner(self, nullifier: int) -> str | None:
        """The latest application of the pseudonym ``nullifier`` with this lender, if any."""
        with self.runtime.db.session() as s:
            row = s.get(NullifierRow, str(nullifier))
            return row.application_id if row is not None else None

    def _replay_rejected(self) -> ReplayRejected:
        record_attack("nullifier_replay", agent=self.runtime.name)
        return ReplayRejected("the nullifier was already used with this lender")

    def _active_owner(self, nullifier: int, app_id: str) -> str | None:
        """Another application of this pseudonym that still holds it, if any.

        The scope is derived from this lender, so a nullifier is one person with this
        lender (review F-1). It is held while its attestation is valid on chain, or
        while its loan is open here; a repaid or refunded loan frees it.
        """
        owner = self._nullifier_owner(nullifier)
        if owner == app_id:
            return None  # recorded by an earlier, interrupted run of this one
        if owner is not None:
            with self.runtime.db.session() as s:
                loan = s.scalars(select(LoanRow).where(LoanRow.application_id == owner)).first()
                if loan is not None and loan.status not in CLOSED_LOAN_STATES:
                    return owner
        active = self.chain.active_request(nullifier)
        return None if active is None else (owner or "0x" + active.hex())

    def assess(self, app: dict[str, Any], proofs: dict[str, Proof],
               submission: dict[str, Any] | None) -> dict[str, Any]:
        policy = self.policy_for(app["currency"])
        evidence, nullifier, notes = self._check(app, proofs, policy)
        requested = Money(int(app["amount_minor"]), currency(app["currency"]))
        decision = decide(evidence, requested, int(app["months"]), policy)
        if not isinstance(decision, Approved):
            if nullifier is not None and any("already used" in n for n in notes):
                self.runtime.record("application.replay", {"application_id": app["id"]})
                record_attack("nullifier_replay", agent=self.runtime.name)
            return {
                "status": "declined",
                "tier": evidence.tier,
                "reasons": [{"condition": r.condition.value, "message": r.message}
                            for r in decision.reasons],
                "alternatives": [{"kind": a.kind.value, "text": a.text}
                                 for a in decision.alternatives],
                "notes": notes,
            }
        assert nullifier is not None
        if self._nullifier_owner(nullifier) != app["id"]:
            try:
                with self.runtime.db.session(lock=f"credit-pseudonym:{nullifier}") as s:
                    held = s.get(NullifierRow, str(nullifier))
                    if held is None:
                        s.add(NullifierRow(nullifier=str(nullifier), application_id=app["id"]))
                    elif held.application_id != app["id"]:
                        if self._active_owner(nullifier, app["id"]) is not None:
                            raise self._replay_rejected()
                        held.application_id = app["id"]  # the earlier loan is closed
            except IntegrityError:  # a concurrent application of the same pseudonym won
                raise self._replay_rejected() from None
        payload = {
            "application_id": app["id"],
            "proofs": {c: {"proof": p.snarkjs_proof(), "public": p.snarkjs_public()}
                       for c, p in proofs.items()},
            "submission": submission,
        }
        # A retried submission carries a fresh authorisation, so it is another job; that
        # job finds the attestation already mined instead of sending it twice.
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        job = self.runtime.jobs.enqueue("credit.attest", payload,
                                        dedup_key=f"attest:{app['id']}:{digest}")
        status = self.runtime.jobs.wait(job, timeout=180)
        if status.result is None:
            raise ZKreditError(f"on-chain attestation failed: {status.last_error}")
        attestation = status.result
        schedule = decision.schedule
        offer = {
            "offer_id": uuid.uuid4().hex,
            "principal_minor": decision.limit.minor,
            "currency": decision.limit.currency.code,
            "apr_bps": decision.apr_bps,
            "months": schedule.term_months,
            "monthly_payment_minor": schedule.monthly_payment.minor,
            "total_interest_minor": schedule.total_interest.minor,
            "total_repayable_minor": decision.limit.minor + schedule.total_interest.minor,
            "expires_at": (self.clock() + dt.timedelta(days=7)).isoformat(),
        }
        return {
            "status": "approved",
            "tier": decision.tier,
            "tier_name": decision.tier_name,
            "limit_minor": decision.limit.minor,
            "apr_bps": decision.apr_bps,
            "schedule": [
                {"n": i.number, "payment": i.payment.minor, "principal": i.principal.minor,
                 "interest": i.interest.minor, "balance": i.balance.minor}
                for i in schedule.installments
            ],
            "offer": offer,
            "attestation": attestation,
        }

    def _job_attest(self, payload: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.db.session() as s:
            row = s.get(ApplicationRow, payload["application_id"])
            assert row is not None
            if row.attestation:
                done: dict[str, Any] = row.attestation
                return done
            wallet, code = row.wallet, row.currency
        proofs = {c: Proof.from_snarkjs(d["proof"], d["public"], c)
                  for c, d in payload["proofs"].items()}
        policy = self.policy_for(code)
        # A crash after the transaction was mined must not send it again (it would revert).
        result = self.chain.find_attestation(proofs, policy) or self.chain.attest(
            proofs, policy, wallet, payload["submission"])
        self.runtime.record("application.attested", {"application_id": payload["application_id"],
                                                     "tx_hash": result.get("tx_hash")})
        return result

    # -- offers and loans ----------------------------------------------------------

    def _on_accept(self, env: Envelope, _key: str | None) -> dict[str, Any]:
        p = parse_payload(AcceptRequest, env.payload)
        offer_id = p.offer_id
        # Serialised per offer: concurrent duplicates of one acceptance make one loan.
        with self.runtime.db.session(lock=f"credit-offer:{offer_id}") as s:
            existing = s.scalars(select(LoanRow).where(LoanRow.offer_id == offer_id)).first()
            if existing is not None:
                return self._loan_reply(existing)
            app = next((a for a in s.scalars(select(ApplicationRow).where(
                ApplicationRow.requester == env.sender, ApplicationRow.status == "approved"))
                if a.decision and a.decision["offer"]["offer_id"] == offer_id), None)
            if app is None:
                raise ApplicationNotFound(f"no open offer {offer_id!r}")
            decision: dict[str, Any] = app.decision or {}
            offer = decision["offer"]
            if dt.datetime.fromisoformat(offer["expires_at"]) < self.clock():
                raise InputError("the offer has expired; apply again")
            signer = offer_signer(offer, self.runtime.chain_id, p.signature, p.payout)
            if signer.lower() != app.wallet.lower():
                raise SignatureError("the acceptance is not signed by the applicant's wallet")
            loan = LoanRow(
                id=uuid.uuid4().hex, application_id=app.id, offer_id=offer_id,
                wallet=app.wallet, principal_minor=int(offer["principal_minor"]),
                currency=offer["currency"], apr_bps=int(offer["apr_bps"]),
                months=int(offer["months"]), schedule=decision["schedule"],
                acceptance_signature=p.signature, status="accepted",
            )
            s.add(loan)
            loan_id = loan.id
            app.status = "accepted"
            s.flush()
            self.runtime.record("loan.accepted", {"loan_id": loan_id, "offer_id": offer_id},
                                session=s)
        job = self.runtime.jobs.enqueue("credit.disburse", {
            "loan_id": loan_id, "payout": p.payout or {}}, dedup_key=f"disburse:{loan_id}")
        self.runtime.jobs.wait(job, timeout=120)
        with self.runtime.db.session() as s:
            row = s.get(LoanRow, loan_id)
            assert row is not None
            return self._loan_reply(row)

    def resume(self) -> int:
        """Revive the disbursement of every accepted loan whose job died, and the tracking
        of every disbursement not yet delivered or returned, or said to be refunded after
        a dispute (the reconciler's hook, F08, F13); returns how many such loans there
        were (a dispute refund's look is not counted)."""
        with self.runtime.db.session() as s:
            stuck = list(s.scalars(select(LoanRow.id).where(
                LoanRow.status == "accepted", LoanRow.disbursement.is_(None))))
            disbursed = list(s.execute(
                select(LoanRow.id, LoanRow.disbursement).where(LoanRow.status == "disbursed")))
        tracked = [loan_id for loan_id, disbursement in disbursed if not _delivered(disbursement)]
        for loan_id in stuck:
            self.runtime.jobs.revive(f"disburse:{loan_id}")
        for loan_id in tracked:
            self._track_later(loan_id)
        for loan_id, disbursement in disbursed:
            if (disbursement or {}).get("refund_notice"):  # its look died (F13b)
                self._recheck_later(loan_id)
        return len(stuck) + len(tracked)

    def _loan_reply(self, loan: LoanRow) -> dict[str, Any]:
        n = loan.repaid_installments
        upcoming = loan.schedule[n] if n < len(loan.schedule) else None
        return {"loan_id": loan.id, "status": loan.status, "principal_minor": loan.principal_minor,
                "currency": loan.currency, "apr_bps": loan.apr_bps, "months": loan.months,
                "disbursement": loan.disbursement, "repaid_installments": n,
                "next_installment_minor": int(upcoming["payment"]) if upcoming else None}

    def _job_disburse(self, payload: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.db.session() as s:
            loan = s.get(LoanRow, payload["loan_id"])
            assert loan is not None
            if loan.disbursement is not None:
                self._track_later(loan.id)  # an earlier run may have died before this
                return dict(loan.disbursement)
            principal = Money(loan.principal_minor, currency(loan.currency))
            loan_id = loan.id
        payout = payload.get("payout") or {}
        reply = self.runtime.peers.send("remittance", "remittance.disbursement.request", {
            "loan_id": loan_id,
            "amount": {"amount_minor": principal.minor, "currency": principal.currency.code},
            "recipient": payout.get("recipient", {}),
            "route": payout.get("route", "bank_transfer"),
        }, correlation_id=loan_id, idempotency_key=f"disburse-{loan_id}")
        # The receivable, the loan's state and the audit entry commit as one.
        with self.runtime.db.session(lock=f"credit-loan:{loan_id}") as s:
            loan = s.get(LoanRow, loan_id)
            assert loan is not None
            if loan.disbursement is not None:
                return dict(loan.disbursement)
            self.runtime.ledger.post(loan_disbursed(loan_id, principal), reference=loan_id,
                                     session=s)
            loan.disbursement = reply
            loan.status = "disbursed"
            self.runtime.record("loan.disbursed", {"loan_id": loan_id,
                                                   "transfer_id": reply.get("transfer_id")},
                                session=s)
        self._track_later(loan_id)
        return dict(reply)

    # -- following the disbursement to its end (F13) ------------------------------------

    def _track_later(self, loan_id: str) -> None:
        self.runtime.jobs.ensure(DISBURSEMENT_TRACK, {"loan_id": loan_id},
                                 dedup_key=f"disbursement-track:{loan_id}")

    def _on_disbursement_refunded(self, env: Envelope, _key: str | None) -> dict[str, Any]:
        """A delivered disbursement came back (a dispute refund at the receiver, F13b).

        The notice only wakes the tracker up: the loan is reversed on what
        ``remittance.disbursement.status`` says, as for a failed payout, never on the
        notice itself. A repeat finds the same job.
        """
        loan_id = str(env.payload.get("loan_id") or "")
        with self.runtime.db.session(lock=f"credit-loan:{loan_id}") as s:
            loan = s.get(LoanRow, loan_id)
            if loan is None:
                raise ApplicationNotFound(f"no loan {loan_id!r}")
            status = loan.status
            if status == "disbursed":  # kept, so that resume() looks again if the job dies
                loan.disbursement = {**dict(loan.disbursement or {}), "refund_notice": True}
        self._recheck_later(loan_id)
        return {"loan_id": loan_id, "status": status}

    def _recheck_later(self, loan_id: str) -> None:
        self.runtime.jobs.ensure(DISBURSEMENT_TRACK, {"loan_id": loan_id, "recheck": True},
                                 dedup_key=f"disbursement-recheck:{loan_id}")

    def _job_track_disbursement(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Ask the remittance agent once how the disbursement stands; retry until final.

        Accepting the transfer is not delivering it: a payout the receiver refuses is
        refunded at the remittance agent, and then the borrower owes nothing. So the
        loan follows its transfer: delivered (``paid_out``/``completed``) keeps the
        receivable; returned (``refunded``) reverses it and closes the loan as
        ``disbursement_refunded``, which takes no repayments. Each look is one short
        attempt; between looks the job holds no thread. A ``recheck`` (after the
        remittance agent's notice of a dispute refund) looks at a delivered one too.
        """
        loan_id = str(payload["loan_id"])
        recheck = bool(payload.get("recheck"))
        with self.runtime.db.session() as s:
            loan = s.get(LoanRow, loan_id)
            assert loan is not None, f"no loan {loan_id}"
            if loan.status == "disbursement_refunded" and \
                    "release_tx" not in (loan.disbursement or {}):
                return self._release_refunded(loan_id)  # an earlier run died before this
            if loan.status != "disbursed" or (_delivered(loan.disbursement) and not recheck):
                return {"loan_id": loan_id, "status": loan.status}
        status = self.runtime.peers.send("remittance", "remittance.disbursement.status",
                                         {"loan_id": loan_id}, correlation_id=loan_id)
        state = str(status.get("state"))
        reasons = [str(r) for r in status.get("reasons") or []]
        loan_status = self._follow_transfer(loan_id, state, reasons[-1] if reasons else None)
        if state not in DELIVERED_TRANSFER_STATES | RETURNED_TRANSFER_STATES:
            raise DisbursementPending(f"the disbursement of loan {loan_id} is still {state}; "
                                      "will check again")
        if loan_status == "disbursement_refunded":
            return self._release_refunded(loan_id)
        return {"loan_id": loan_id, "status": loan_status, "transfer_state": state}

    def _release_refunded(self, loan_id: str) -> dict[str, Any]:
        """Close the refunded loan's attestation on chain: the borrower may apply again."""
        with self.runtime.db.session() as s:
            loan = s.get(LoanRow, loan_id)
            assert loan is not None
            application_id = loan.application_id
        tx = self._release_pseudonym(application_id)
        with self.runtime.db.session(lock=f"credit-loan:{loan_id}") as s:
            loan = s.get(LoanRow, loan_id)
            assert loan is not None
            loan.disbursement = {**dict(loan.disbursement or {}), "release_tx": tx}
        self.runtime.jobs.ensure(BORROWER_NOTICE, {"loan_id": loan_id},
                                 dedup_key=f"borrower-notice:{loan_id}")
        return {"loan_id": loan_id, "status": "disbursement_refunded", "release_tx": tx}

    def _job_tell_borrower(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Tell the worker agent that asked for the loan that it was reversed: it may have
        recorded the loan as active when the disbursement was accepted."""
        loan_id = str(payload["loan_id"])
        with self.runtime.db.session() as s:
            loan = s.get(LoanRow, loan_id)
            assert loan is not None
            app = s.get(ApplicationRow, loan.application_id)
            assert app is not None
            requester, worker_ref = app.requester, app.worker_ref
        return self.runtime.peers.send(requester, "worker.loan.refunded", {
            "application_id": worker_ref, "loan_id": loan_id}, correlation_id=worker_ref)

    def _follow_transfer(self, loan_id: str, state: str, reason: str | None) -> str:
        """Record the transfer's ``state`` on the loan; undo the loan if it was returned."""
        with self.runtime.db.session(lock=f"credit-loan:{loan_id}") as s:
            loan = s.get(LoanRow, loan_id)
            assert loan is not None
            disbursement = dict(loan.disbursement or {})
            if loan.status != "disbursed":
                return loan.status  # already reversed (or repaid) by an earlier look
            if disbursement.get("state") == state and state not in RETURNED_TRANSFER_STATES:
                return loan.status
            loan.disbursement = {**disbursement, "state": state}
            transfer_id = disbursement.get("transfer_id")
            if state in RETURNED_TRANSFER_STATES:
                ccy = currency(loan.currency)
                # Repayments booked before the refund stay booked as repaid (cash in,
                # receivable down, interest earned): only what is still outstanding is
                # reversed, so the receivable ends at zero, never below. Giving the
                # borrower's payments back is a payment of its own, not this entry.
                repaid = Money(int(s.scalar(select(func.coalesce(func.sum(
                    RepaymentRow.principal_minor), 0)).where(
                    RepaymentRow.loan_id == loan_id)) or 0), ccy)
                outstanding = Money(loan.principal_minor, ccy) - repaid
                # The receivable and the loan's state go back together, with the audit entry.
                if outstanding.minor > 0:
                    self.runtime.ledger.post(loan_disbursement_reversed(loan_id, outstanding),
                                             reference=loan_id, session=s)
                loan.status = "disbursement_refunded"
                self.runtime.record("loan.disbursement_refunded", {
                    "loan_id": loan_id, "transfer_id": transfer_id, "transfer_state": state,
                    "reason": reason,
                    **({"principal_repaid_minor": repaid.minor,
                        "reversed_minor": outstanding.minor} if repaid.minor else {})},
                    session=s)
            elif state in DELIVERED_TRANSFER_STATES:
                self.runtime.record("loan.disbursement_delivered", {
                    "loan_id": loan_id, "transfer_id": transfer_id, "transfer_state": state},
                    session=s)
            return loan.status

    def record_repayment(self, loan_id: str, amount_minor: int, currency_code: str,
                         reference: str) -> dict[str, Any]:
        """Book a payment of ``amount_minor`` received under ``reference``.

        Partial, whole and multi-installment payments are applied interest first
        (:mod:`zkredit.domain.repayment`). Under a lock on the loan, the repayment
        row, the installment counter, the ledger entry and the audit entry commit
        together: concurrent repayments are applied one after the other, and none
        is lost. The same reference again is a replay (the first answer), with
        another amount a 409. Reputation feedback (on time or late) goes on chain
        after the commit.
        """
        code = currency_code.upper()
        with self.runtime.db.session(lock=f"credit-loan:{loan_id}") as s:
            loan = s.get(LoanRow, loan_id)
            if loan is None:
                raise ApplicationNotFound(f"no loan {loan_id!r}")
            done = s.scalars(select(RepaymentRow).where(
                RepaymentRow.loan_id == loan_id, RepaymentRow.reference == reference)).first()
            if done is not None:
                if (done.amount_minor, done.currency) != (amount_minor, code):
                    raise RepaymentConflict(
                        f"payment reference {reference!r} was booked for "
                        f"{done.amount_minor} {done.currency}, not {amount_minor} {code}")
                return {**self._repayment_reply(loan, done), "feedback_tx": None}  # replay
            if loan.status != "disbursed":  # a refunded disbursement owes nothing (F13)
                raise InputError(f"loan {loan_id} is {loan.status}; only a disbursed loan "
                                 "takes repayments")
            if code != loan.currency:
                raise InputError(f"loan {loan_id} is in {loan.currency}, not {code}")
            schedule = [Installment(int(i["n"]), int(i["interest"]), int(i["principal"]))
                        for i in loan.schedule]
            paid_before = int(s.scalar(select(func.coalesce(func.sum(
                RepaymentRow.amount_minor), 0)).where(RepaymentRow.loan_id == loan_id)) or 0)
            split = allocate(schedule, paid_before, amount_minor)
            now = self.clock()
            late = is_late(schedule, paid_before, utc(loan.created_at).date(), now.date())
            row = RepaymentRow(id=uuid.uuid4().hex, loan_id=loan_id, reference=reference,
                               amount_minor=amount_minor, currency=code,
                               principal_minor=split.principal, interest_minor=split.interest,
                               late=late, created_at=now)
            s.add(row)
            loan.repaid_installments = split.installments_paid
            if split.outstanding == 0:
                loan.status = "repaid"
            cur = currency(code)
            self.runtime.ledger.post(
                loan_repayment(loan_id, reference, Money(split.principal, cur),
                               Money(split.interest, cur)),
                reference=loan_id, session=s)
            s.flush()
            self.runtime.record("loan.repayment", {
                "loan_id": loan_id, "reference": reference, "amount_minor": amount_minor,
                "late": late, "installments_paid": split.installments_paid}, session=s)
            reply = self._repayment_reply(loan, row)
            closed = loan.application_id if split.outstanding == 0 else None
        if closed is not None:
            reply["release_tx"] = self._release_pseudonym(closed)
        reply["feedback_tx"] = self.chain.give_feedback(
            "worker", 100 if not late else 40, "repayment", "late" if late else "on_time")
        return reply

    def _release_pseudonym(self, application_id: str) -> str | None:
        """Close the repaid (or refunded) loan's attestation on chain, so its borrower may
        apply again."""
        with self.runtime.db.session() as s:
            app = s.get(ApplicationRow, application_id)
            attestation = dict(app.attestation or {}) if app is not None else {}
        request_hash = attestation.get("request_hash")
        if not request_hash:
            return None
        tx = self.chain.release_attestation(bytes.fromhex(str(request_hash).removeprefix("0x")))
        self.runtime.record("loan.attestation_released",
                            {"application_id": application_id, "tx": tx})
        return tx

    @staticmethod
    def _repayment_reply(loan: LoanRow, row: RepaymentRow) -> dict[str, Any]:
        return {"loan_id": loan.id, "reference": row.reference,
                "amount_minor": row.amount_minor, "currency": row.currency,
                "principal_minor": row.principal_minor, "interest_minor": row.interest_minor,
                "late": row.late, "installments_paid": loan.repaid_installments,
                "status": loan.status}


def _delivered(disbursement: Any) -> bool:
    """Whether the recorded disbursement transfer reached the borrower (it cannot be
    refunded any more). A disbursed loan whose transfer is returned is reversed at once,
    so a disbursed loan that is not delivered is still being followed."""
    return (disbursement or {}).get("state") in DELIVERED_TRANSFER_STATES
