"""The worker agent's services: identities, credentials, loan applications, remittances.

Loans and remittances are driven by idempotent jobs so a crash mid-way (say, in
the middle of proving) resumes after restart and completes exactly once: every
step first checks whether its result is already recorded, and the remote side
deduplicates by the worker's application or idempotency key. No job waits for
another: a request fans out to prove jobs, each stores its proof with the
request, and the one that completes the set enqueues the continuation
(``worker.loan.submit``, ``worker.remit.send``). Watching a transfer is one
short look per attempt of ``worker.remit.poll``, retried with backoff.

Only public data leaves this agent: proofs, public signals, the wallet address
and amounts the worker chose to request. When the worker's data cannot satisfy
the lender's policy, the failing conditions are explained to the worker here
and never sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import select

from zkredit.agents.common.envelope import Envelope
from zkredit.agents.common.loan_offer import sign_offer
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.worker.guard import (
    PolicyLookup,
    PolicyMismatch,
    ScopeLookup,
    check_date,
    check_policy,
    check_scope,
)
from zkredit.agents.worker.models import LoanApplicationRow, RemittanceRow
from zkredit.agents.worker.vaultstore import Identity, Vault
from zkredit.domain.policy import CreditPolicy
from zkredit.domain.remittance import TERMINAL_STATES
from zkredit.errors import InputError, StatementFalse, ZKreditError
from zkredit.jobs.api import JobQueue
from zkredit.zk.credentials import CredentialType
from zkredit.zk.proof import Proof
from zkredit.zk.prover import ProverBackend
from zkredit.zk.statements import (
    ProofContext,
    Statement,
    collateral_statement,
    credit_history_statement,
    identity_statement,
    income_statement,
)

CIRCUITS = ("income", "credit_history", "collateral", "identity")
TERMINAL = tuple(sorted(state.value for state in TERMINAL_STATES))
"""Transfer states the worker stops watching: the state machine's own (``failed`` is left
by the refund, ``held`` by the reviewer)."""
LOAN_SUBMIT = "worker.loan.submit"
REMIT_SEND = "worker.remit.send"
REMIT_POLL = "worker.remit.poll"
DISBURSEMENT_REFUNDED = "disbursement_refunded"
"""The lender's disbursement never reached the borrower and came back (F13): nothing
is owed, and nothing moves on from here."""
LOAN_REFUNDED = "worker.loan.refunded"
"""The lender's notice that a loan's disbursement was refunded after it was reported."""
REMITTANCE_REFUNDED = "worker.remittance.refunded"
"""The remittance agent's notice that a finished transfer was refunded after a dispute."""
FINAL_LOAN_STATES = ("declined", "active", "failed", DISBURSEMENT_REFUNDED)
REFUSED = "refused"  # a remittance the worker would not prove for (guard.py); final
"""Loan application states nothing moves on from (``approved`` waits for its owner)."""
POLL_AT_MOST_EVERY_S = 10.0
"""The longest wait between two looks at an unfinished transfer."""
REMIT_POLLS = 260
"""Looks at a transfer before its poll job gives up (backoff 1 s doubling, at most
POLL_AT_MOST_EVERY_S apart: about 43 min; the reconciler revives it after that)."""

SubmissionSigner = Callable[[LocalAccount, dict[str, Any], dict[str, Any]], dict[str, Any] | None]
"""Signs the EIP-712 authorisation letting the lender submit the proofs on chain."""


class NotFound(InputError):
    """Raised when a loan application or remittance id is unknown."""

    http_status = 404


class StillPending(ZKreditError):
    """Raised inside a job when a peer has not finished yet: the job looks again, with
    backoff, but never more than ``retry_after_s`` later (a transfer that takes minutes
    is seen finished within seconds, not after a doubling wait of minutes)."""

    retry_after_s = POLL_AT_MOST_EVERY_S


class IdempotencyConflict(InputError):
    """Raised when an Idempotency-Key is reused for a different request."""

    http_status = 409


def request_id(kind: str, identity_id: str, client_key: str | None) -> str:
    """The id of a request: derived from the client's Idempotency-Key when it gives one.

    The same key from the same identity names the same row, so a retried POST finds
    the request it already made (its primary key makes concurrent retries collide).
    """
    if client_key is None:
        return uuid.uuid4().hex
    material = "\x00".join((kind, identity_id, client_key)).encode()
    return hashlib.sha256(material).hexdigest()[:32]


PROVER_ID = f"{socket.gethostname()}:{os.getpid()}"
"""Which process proved (a job result's ``prover``): shows prover workers sharing work."""


def policy_from_wire(data: dict[str, Any]) -> CreditPolicy:
    """The lender's published policy, as the worker's statement builders need it."""
    return CreditPolicy(
        currency_code=str(data["currency"]),
        min_monthly_income_minor=int(data["min_monthly_income_minor"]),
        min_employment_months=int(data["min_employment_months"]),
        min_score=int(data["min_score"]),
        max_late=int(data["max_late"]),
        max_debt_ratio_bps=int(data["max_debt_ratio_bps"]),
        min_history_months=int(data["min_history_months"]),
        min_collateral_ratio_bps=int(data["min_collateral_ratio_bps"]),
        max_valuation_age_days=int(data["max_valuation_age_days"]),
        min_age_years=int(data["min_age_years"]),
        denied_jurisdictions=tuple(int(x) for x in data["denied_jurisdictions"]),
    )


@dataclass
class WorkerService:
    runtime: PartyRuntime
    vault: Vault
    prover: Callable[[], ProverBackend]
    sign_submission: SubmissionSigner
    is_trusted_issuer: Callable[[int, int, int], bool | None]
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    is_policy_active: PolicyLookup | None = None  # the chain's registry (F-5); None: unchecked
    lender_scope: ScopeLookup | None = None  # the verifier's derived scope (F-1); None: unchecked
    provider_scope: ScopeLookup | None = None  # the provider's derived scope (F-1)

    @property
    def jobs(self) -> JobQueue:
        return self.runtime.jobs

    def register_jobs(self, *, prove_queue: str | None = None) -> None:
        """Register the job kinds; ``prove_queue`` routes proving to its own queue (the one
        ``zkredit worker prover`` processes consume)."""
        self.jobs.register("worker.loan.run", self._job_loan_run, max_attempts=6)
        self.jobs.register("worker.loan.accept", self._job_loan_accept, max_attempts=6)
        self.jobs.register("worker.remit.run", self._job_remit_run, max_attempts=6)
        self.register_prove_job(prove_queue)

    def register_prove_job(self, queue: str | None = None) -> None:
        """Proving only: what a prover worker process serves.

        The continuations are registered too (on the default queue, which a prover
        process does not consume): the prove job that stores the last proof enqueues
        them, wherever it runs.
        """
        if queue:
            self.jobs.register("worker.prove", self._job_prove, max_attempts=3, queue=queue)
        else:
            self.jobs.register("worker.prove", self._job_prove, max_attempts=3)
        self.jobs.register(LOAN_SUBMIT, self._job_loan_submit, max_attempts=6)
        self.jobs.register(REMIT_SEND, self._job_remit_send, max_attempts=6)
        self.jobs.register(REMIT_POLL, self._job_remit_poll, max_attempts=REMIT_POLLS)

    # -- identities and credentials ----------------------------------------------

    def create_identity(self, label: str) -> Identity:
        with self.runtime.db.session(lock="worker-vault") as s:
            ident = self.vault.create_identity(label, session=s)
            self.runtime.record("identity.created", {"identity_id": ident.id,
                                                      "commitment": str(ident.commitment),
                                                      "wallet": ident.wallet.address}, session=s)
        return ident

    def import_credential(self, identity_id: str, data: dict[str, Any]) -> dict[str, Any]:
        from zkredit.zk.credentials import SignedCredential

        signed = SignedCredential.from_dict(data)
        signed.require_valid()  # a tampered credential is refused here, not inside a circuit
        trusted = self.is_trusted_issuer(int(signed.type), signed.issuer.x, signed.issuer.y)
        with self.runtime.db.session(lock="worker-vault") as s:
            item = self.vault.import_credential(identity_id, signed, trusted, session=s)
            self.runtime.record("credential.imported", {"identity_id": identity_id,
                                                        "type": signed.type.label, "item": item},
                                session=s)
        return {"credential_id": item, "type": signed.type.label, "issuer": signed.issuer_name}

    # -- loans ---------------------------------------------------------------------

    def apply_for_loan(self, identity_id: str, lender: str, amount_minor: int, currency: str,
                       months: int, payout: dict[str, Any], *,
                       client_key: str | None = None) -> str:
        """Start (or, for a repeated ``client_key``, find) a loan application."""
        self.vault.identity(identity_id)  # exists
        if amount_minor <= 0 or months <= 0:
            raise InputError("amount and months must be positive")
        app_id = request_id("loan", identity_id, client_key)
        wanted = {"identity_id": identity_id, "lender": lender, "amount_minor": amount_minor,
                  "currency": currency.upper(), "months": months, "payout": payout}
        with self.runtime.db.session(lock=f"worker-loan:{app_id}") as s:
            existing = s.get(LoanApplicationRow, app_id)
            if existing is None:
                s.add(LoanApplicationRow(id=app_id, status="requested", **wanted))
            elif {k: getattr(existing, k) for k in wanted} != wanted:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different loan application",
                    hint="Use a new key for a new application; reuse a key only to retry.")
        # Enqueued on every call: a crash after the commit must not strand the request.
        self.jobs.enqueue("worker.loan.run", {"application_id": app_id},
                          dedup_key=f"loan-run:{app_id}")
        return app_id

    def loan(self, app_id: str) -> dict[str, Any]:
        with self.runtime.db.session() as s:
            row = s.get(LoanApplicationRow, app_id)
            if row is None:
                raise NotFound(f"no loan application {app_id!r}")
            return {
                "application_id": row.id, "status": row.status, "lender": row.lender,
                "amount_minor": row.amount_minor, "currency": row.currency,
                "months": row.months, "decision": row.decision,
                "explanation": row.explanation, "loan": row.loan, "error": row.error,
                "proofs_done": sorted(row.proofs or {}),  # names only: live progress
            }

    def _update_loan(self, app_id: str, audit: tuple[str, dict[str, Any]] | None = None,
                     **values: Any) -> None:
        """Change the application; ``audit`` (kind, payload) commits with the change."""
        with self.runtime.db.session(lock=f"worker-loan:{app_id}") as s:
            row = s.get(LoanApplicationRow, app_id)
            assert row is not None
            for k, v in values.items():
                setattr(row, k, v)
            if audit is not None:
                self.runtime.record(*audit, session=s)

    def _statements(self, ident: Identity, policy: CreditPolicy, ctx: ProofContext,
                    amount_minor: int) -> dict[str, Statement | Exception]:
        out: dict[str, Statement | Exception] = {}
        membership = self.vault.membership(ident.id)
        for circuit in CIRCUITS:
            ctype = (CredentialType.KYC if circuit == "identity"
                     else CredentialType[circuit.upper()])
            cred = self.vault.credential(ident.id, ctype)
            try:
                if cred is None:
                    raise InputError(f"no {ctype.label} credential in the vault")
                if circuit == "income":
                    stmt = income_statement(ident.secret, cred, policy, ctx)
                elif circuit == "credit_history":
                    stmt = credit_history_statement(ident.secret, cred, policy, ctx)
                elif circuit == "collateral":
                    stmt = collateral_statement(ident.secret, cred, policy, ctx, amount_minor)
                else:
                    if membership is None:
                        raise InputError("no KYC membership proof in the vault")
                    stmt = identity_statement(ident.secret, cred, policy, ctx, membership)
                out[circuit] = stmt.require_true()
            except (StatementFalse, InputError) as exc:
                out[circuit] = exc
        return out

    def _job_prove(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Prove one statement of an application; the payload names it, never holds it.

        The proof is stored with its request; the job that stores the last one the
        request needs enqueues the continuation (submit the loan, send the transfer).
        Nothing waits for a prove job, so prove jobs can never be starved by waiters.
        """
        app_id, circuit = payload["application_id"], payload["circuit"]
        kind = payload.get("kind", "loan")
        wire = self._stored_proofs(kind, app_id).get(circuit)
        if wire is None:  # not proved yet (a re-run after a crash finds it stored)
            stmt = self._rebuild_statement(kind, app_id, circuit)
            proof = self.prover().prove(circuit, stmt.inputs)
            wire = {"proof": proof.snarkjs_proof(), "public": proof.snarkjs_public()}
        if self._store_proof(kind, app_id, circuit, wire):
            self._continue(kind, app_id)
        return {**wire, "prover": PROVER_ID}

    def _stored_proofs(self, kind: str, app_id: str) -> dict[str, Any]:
        with self.runtime.db.session() as s:
            row = (s.get(LoanApplicationRow, app_id) if kind == "loan"
                   else s.get(RemittanceRow, app_id))
            assert row is not None, f"no {kind} request {app_id}"
            return dict(row.proofs or {})

    def _store_proof(self, kind: str, app_id: str, circuit: str, wire: dict[str, Any]) -> bool:
        """Keep ``wire`` with its request; whether every proof it needs is now stored."""
        if kind == "loan":
            with self.runtime.db.session(lock=f"worker-loan:{app_id}") as s:
                loan = s.get(LoanApplicationRow, app_id)
                assert loan is not None
                loan.proofs = {**(loan.proofs or {}), circuit: wire}
                needed = set((loan.explanation or {}).get("proving") or ())
                return needed <= set(loan.proofs)
        with self.runtime.db.session(lock=f"worker-remittance:{app_id}") as s:
            rem = s.get(RemittanceRow, app_id)
            assert rem is not None
            rem.proofs = {**(rem.proofs or {}), circuit: wire}
            return "identity" in rem.proofs

    def _continue(self, kind: str, app_id: str) -> None:
        """Ensure what follows proving (once: the dedup key names one job; a dead one
        is revived)."""
        if kind == "loan":
            self.jobs.ensure(LOAN_SUBMIT, {"application_id": app_id},
                             dedup_key=f"loan-submit:{app_id}")
        else:
            self.jobs.ensure(REMIT_SEND, {"remittance_id": app_id},
                             dedup_key=f"remit-send:{app_id}")

    def _fan_out(self, kind: str, app_id: str, circuits: list[str]) -> None:
        """One prove job per circuit; with nothing to prove, the continuation at once."""
        for c in circuits:
            self.jobs.ensure("worker.prove", {"kind": kind, "application_id": app_id,
                                              "circuit": c},
                             dedup_key=f"prove:{kind}:{app_id}:{c}")
        if not circuits:
            self._continue(kind, app_id)

    def resume(self) -> int:
        """Ensure the next job of every unfinished loan application and remittance.

        Called at start-up and by the reconciler (F08): a request whose job died (a
        lender down for longer than the retries, a prover that kept failing) moves on
        again. Returns how many unfinished requests were looked at.
        """
        with self.runtime.db.session() as s:
            loans = [(r.id, r.status, dict(r.explanation or {}), set(r.proofs or {}))
                     for r in s.scalars(select(LoanApplicationRow).where(
                         LoanApplicationRow.loan.is_(None)))]
            rems = [(r.id, r.quote is not None, r.transfer_id is not None,
                     "identity" in (r.proofs or {}))
                    for r in s.scalars(select(RemittanceRow).where(
                        RemittanceRow.receipt.is_(None), RemittanceRow.status != REFUSED))]
        for app_id, status, explanation, proved in loans:
            if status == "approved":  # accepted only if its owner asked: revive, never create
                self.jobs.revive(f"loan-accept:{app_id}")
            elif status not in FINAL_LOAN_STATES:
                needed = explanation.get("proving")
                if status != "proving" or needed is None:
                    self.jobs.ensure("worker.loan.run", {"application_id": app_id},
                                     dedup_key=f"loan-run:{app_id}")
                else:
                    self._fan_out("loan", app_id, [c for c in needed if c not in proved])
                    if set(needed) <= proved:
                        self._continue("loan", app_id)
        for rem_id, quoted, sent, proved_identity in rems:
            if sent:
                self._poll_later(rem_id)
            elif proved_identity:
                self._continue("remit", rem_id)
            elif quoted:
                self._fan_out("remit", rem_id, ["identity"])
            else:
                self.jobs.ensure("worker.remit.run", {"remittance_id": rem_id},
                                 dedup_key=f"remit:{rem_id}")
        return len(loans) + len(rems)

    def _rebuild_statement(self, kind: str, app_id: str, circuit: str) -> Statement:
        if kind == "loan":
            with self.runtime.db.session() as s:
                row = s.get(LoanApplicationRow, app_id)
                assert (row is not None and row.decision is None) or row is not None
                opened = (row.explanation or {}).get("opened") if row else None
                identity_id, amount = row.identity_id, row.amount_minor
            assert opened is not None, "application was not opened with the lender"
            ident = self.vault.identity(identity_id)
            policy = policy_from_wire(opened["policy"])
            ctx = ProofContext.for_wallet(int(opened["scope"]), ident.wallet.address,
                                          dt.date.fromisoformat(opened["today"]))
            result = self._statements(ident, policy, ctx, amount)[circuit]
        else:
            with self.runtime.db.session() as s:
                rem = s.get(RemittanceRow, app_id)
                assert rem is not None and rem.quote is not None
                identity_id, quote = rem.identity_id, rem.quote
            ident = self.vault.identity(identity_id)
            policy = CreditPolicy()
            ctx = ProofContext.for_wallet(int(quote["scope"]), ident.wallet.address,
                                          dt.date.fromisoformat(quote.get("today") or
                                                                self.clock().date().isoformat()))
            result = self._statements(ident, policy, ctx, 1)["identity"]
        if isinstance(result, Exception):
            raise result
        return result

    def _job_loan_run(self, payload: dict[str, Any]) -> dict[str, Any]:
        app_id = payload["application_id"]
        with self.runtime.db.session() as s:
            row = s.get(LoanApplicationRow, app_id)
            assert row is not None
            if row.decision is not None:
                return {"status": row.status}  # already decided: a re-run is a no-op
            identity_id, lender = row.identity_id, row.lender
            explanation = dict(row.explanation or {})
            amount, currency, months = row.amount_minor, row.currency, row.months
        ident = self.vault.identity(identity_id)
        peers = self.runtime.peers
        opened = explanation.get("opened")
        if opened is None:
            opened = peers.send(lender, "credit.application.open", {
                "worker_ref": app_id, "amount_minor": amount, "currency": currency,
                "months": months, "wallet": ident.wallet.address,
            }, correlation_id=app_id)
            explanation["opened"] = opened
            self._update_loan(app_id, status="opened", remote_id=opened["application_id"],
                              scope=str(opened["scope"]), explanation=explanation)
        policy = policy_from_wire(opened["policy"])
        ctx = ProofContext.for_wallet(int(opened["scope"]), ident.wallet.address,
                                      dt.date.fromisoformat(opened["today"]))
        try:
            check_date(ctx.today, self.clock(), counterparty=f"lender {lender}")
            check_policy(policy, opened.get("policy_hash"), self.is_policy_active,
                         counterparty=f"lender {lender}")
            check_scope(ctx.scope, lender, self.lender_scope, counterparty=f"lender {lender}")
        except PolicyMismatch as refused:
            explanation["refused"] = refused.message
            self._update_loan(app_id, status="failed", error=refused.message,
                              explanation=explanation,
                              audit=("loan.refused_before_proving",
                                     {"application_id": app_id, "lender": lender}))
            return {"status": "failed"}
        statements = self._statements(ident, policy, ctx, amount)
        provable = [c for c, s in statements.items() if isinstance(s, Statement)]
        local = {c: (list(e.failures) if isinstance(e, StatementFalse) else [str(e)])
                 for c, e in statements.items() if isinstance(e, Exception)}
        explanation["failing_conditions"] = local  # for the worker's eyes only
        explanation["proving"] = provable
        self._update_loan(app_id, status="proving", explanation=explanation)
        self._fan_out("loan", app_id, provable)  # continues in LOAN_SUBMIT
        return {"status": "proving"}

    def _job_loan_submit(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send the stored proofs to the lender and record its decision (after proving)."""
        app_id = payload["application_id"]
        with self.runtime.db.session() as s:
            row = s.get(LoanApplicationRow, app_id)
            assert row is not None
            if row.decision is not None:
                return {"status": row.status}
            identity_id, lender = row.identity_id, row.lender
            explanation, stored = dict(row.explanation or {}), dict(row.proofs or {})
        opened, needed = explanation["opened"], list(explanation.get("proving") or ())
        missing_proofs = [c for c in needed if c not in stored]
        if missing_proofs:  # not reachable through _job_prove; kept as a guard
            raise StillPending(f"application {app_id} still needs {missing_proofs}")
        proofs = {c: stored[c] for c in needed}
        ident = self.vault.identity(identity_id)
        submission = self.sign_submission(ident.wallet, {"proofs": proofs}, opened)
        decision = self.runtime.peers.send(lender, "credit.application.submit", {
            "application_id": opened["application_id"], "proofs": proofs,
            "missing": sorted(explanation.get("failing_conditions") or {}),
            "submission": submission,
        }, correlation_id=app_id)
        self._update_loan(app_id, ("loan.decided", {"application_id": app_id,
                                                    "status": decision.get("status")}),
                          status=str(decision.get("status", "decided")),
                          proofs=proofs, decision=decision)
        return {"status": decision.get("status")}

    def accept_offer(self, app_id: str) -> None:
        self.loan(app_id)
        self.jobs.enqueue("worker.loan.accept", {"application_id": app_id},
                          dedup_key=f"loan-accept:{app_id}")

    def _job_loan_accept(self, payload: dict[str, Any]) -> dict[str, Any]:
        app_id = payload["application_id"]
        with self.runtime.db.session() as s:
            row = s.get(LoanApplicationRow, app_id)
            assert row is not None
            if row.loan is not None:
                return {"status": row.status}
            decision, identity_id, lender, payout = (row.decision, row.identity_id, row.lender,
                                                     row.payout)
        if not decision or decision.get("status") != "approved":
            raise InputError("only an approved application has an offer to accept")
        ident = self.vault.identity(identity_id)
        offer = decision["offer"]
        signature = sign_offer(ident.wallet, offer, self.runtime.chain_id, payout)
        loan = self.runtime.peers.send(lender, "credit.offer.accept", {
            "offer_id": offer["offer_id"], "signature": signature, "payout": payout,
        }, correlation_id=app_id)
        if loan.get("status") == DISBURSEMENT_REFUNDED:
            # The payout failed and the lender took the money back: the loan is closed
            # with nothing owed. Final, so no job asks about it again.
            self._update_loan(app_id, ("loan.disbursement_refunded",
                                       {"application_id": app_id,
                                        "loan_id": loan.get("loan_id")}),
                              status=DISBURSEMENT_REFUNDED, loan=loan)
            return {"status": DISBURSEMENT_REFUNDED}
        if loan.get("status") not in ("disbursed", "repaid"):
            # Accepted but not yet paid out (the lender is resuming): ask again later.
            raise InputError(f"loan {loan.get('loan_id')} is {loan.get('status')}; "
                             "waiting for the disbursement")
        self._update_loan(app_id, ("loan.accepted", {"application_id": app_id,
                                                     "loan_id": loan.get("loan_id")}),
                          status="active", loan=loan)
        return {"status": "active"}

    def register_messages(self) -> None:
        """The envelopes this agent takes from its peers: notices about its own requests."""
        self.runtime.inbox.on(LOAN_REFUNDED, self._on_loan_refunded)
        self.runtime.inbox.on(REMITTANCE_REFUNDED, self._on_remittance_refunded)

    def _on_remittance_refunded(self, env: Envelope, _key: str | None) -> dict[str, Any]:
        """A transfer the worker saw finish was refunded after a dispute (F13): look at it
        once more. The notice only wakes the watcher; the state comes from
        ``remittance.transfer.status``, as for every other look."""
        transfer_id = str(env.payload.get("transfer_id") or "")
        with self.runtime.db.session() as s:
            row = s.scalars(select(RemittanceRow).where(
                RemittanceRow.transfer_id == transfer_id)).first()
            if row is None:
                raise NotFound(f"no remittance with transfer {transfer_id!r}")
            rem_id, status = row.id, row.status
        self.jobs.ensure(REMIT_POLL, {"remittance_id": rem_id, "refresh": True},
                         dedup_key=f"remit-refresh:{rem_id}")
        return {"remittance_id": rem_id, "status": status}

    def _on_loan_refunded(self, env: Envelope, _key: str | None) -> dict[str, Any]:
        """The lender reversed a loan after the worker recorded it (F13): its disbursement
        was refunded (a failed payout, or a dispute). Only the loan's own lender may say
        so, and only of the loan it gave; a repeat changes nothing."""
        app_id = str(env.payload.get("application_id") or "")
        loan_id = str(env.payload.get("loan_id") or "")
        with self.runtime.db.session(lock=f"worker-loan:{app_id}") as s:
            row = s.get(LoanApplicationRow, app_id)
            if row is None or row.lender != env.sender:
                raise NotFound(f"no loan application {app_id!r} with {env.sender}")
            known = (row.loan or {}).get("loan_id")
            if known is not None and known != loan_id:
                raise InputError(f"application {app_id} has loan {known}, not {loan_id!r}")
            if row.status != DISBURSEMENT_REFUNDED:
                row.status = DISBURSEMENT_REFUNDED
                row.loan = {**(row.loan or {}), "loan_id": loan_id,
                            "status": DISBURSEMENT_REFUNDED}
                self.runtime.record("loan.disbursement_refunded",
                                    {"application_id": app_id, "loan_id": loan_id}, session=s)
            return {"application_id": app_id, "status": row.status}

    # -- remittances -------------------------------------------------------------

    def remit(self, identity_id: str, request: dict[str, Any], *,
              client_key: str | None = None) -> str:
        """Start (or, for a repeated ``client_key``, find) a remittance."""
        self.vault.identity(identity_id)
        rem_id = request_id("remittance", identity_id, client_key)
        with self.runtime.db.session(lock=f"worker-remittance:{rem_id}") as s:
            existing = s.get(RemittanceRow, rem_id)
            if existing is None:
                # The remittance agent deduplicates by this key: one transfer per request.
                s.add(RemittanceRow(id=rem_id, identity_id=identity_id, request=request,
                                    status="requested", idempotency_key=rem_id))
            elif existing.identity_id != identity_id or existing.request != request:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different remittance",
                    hint="Use a new key for a new remittance; reuse a key only to retry.")
        self.jobs.enqueue("worker.remit.run", {"remittance_id": rem_id},
                          dedup_key=f"remit:{rem_id}")
        return rem_id

    def remittance(self, rem_id: str) -> dict[str, Any]:
        with self.runtime.db.session() as s:
            row = s.get(RemittanceRow, rem_id)
            if row is None:
                raise NotFound(f"no remittance {rem_id!r}")
            return {"remittance_id": row.id, "status": row.status, "quote": row.quote,
                    "transfer_id": row.transfer_id, "receipt": row.receipt, "error": row.error}

    def _update_remittance(self, rem_id: str, audit: tuple[str, dict[str, Any]] | None = None,
                           **values: Any) -> None:
        """Change the remittance; ``audit`` (kind, payload) commits with the change."""
        with self.runtime.db.session(lock=f"worker-remittance:{rem_id}") as s:
            row = s.get(RemittanceRow, rem_id)
            assert row is not None
            for k, v in values.items():
                setattr(row, k, v)
            if audit is not None:
                self.runtime.record(*audit, session=s)

    def _job_remit_run(self, payload: dict[str, Any]) -> dict[str, Any]:
        rem_id = payload["remittance_id"]
        with self.runtime.db.session() as s:
            row = s.get(RemittanceRow, rem_id)
            assert row is not None
            if row.receipt is not None:
                return {"status": row.status}
            request, quote = row.request, row.quote
            transfer_id, proved = row.transfer_id, "identity" in (row.proofs or {})
        peers = self.runtime.peers
        if quote is None:
            quote = peers.send("remittance", "remittance.quote.request", {
                k: request[k] for k in ("send_currency", "receive_currency", "route",
                                        "send_amount_minor", "receive_amount_minor")
                if k in request
            }, correlation_id=rem_id)
            quote.setdefault("today", self.clock().date().isoformat())
            try:
                check_date(dt.date.fromisoformat(str(quote["today"])), self.clock(),
                           counterparty="the remittance provider")
                check_scope(int(quote["scope"]), "remittance", self.provider_scope,
                            counterparty="the remittance provider")
            except PolicyMismatch as refused:
                self._update_remittance(rem_id, status=REFUSED, error=refused.message,
                                        quote=quote,
                                        audit=("remittance.refused_before_proving",
                                               {"remittance_id": rem_id}))
                return {"status": REFUSED}
            self._update_remittance(rem_id, status="quoted", quote=quote)
        if transfer_id is not None:
            self._poll_later(rem_id)
        elif proved:
            self._continue("remit", rem_id)
        else:
            self._fan_out("remit", rem_id, ["identity"])  # continues in REMIT_SEND
        return {"status": "quoted"}

    def _job_remit_send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Ask for the transfer with the stored identity proof (after proving)."""
        rem_id = payload["remittance_id"]
        with self.runtime.db.session() as s:
            row = s.get(RemittanceRow, rem_id)
            assert row is not None and row.quote is not None
            identity_id, request, quote, key = (row.identity_id, row.request, row.quote,
                                                row.idempotency_key)
            transfer_id, proof = row.transfer_id, (row.proofs or {}).get("identity")
        if transfer_id is None:
            if proof is None:  # not reachable through _job_prove; kept as a guard
                raise StillPending(f"remittance {rem_id} has no identity proof yet")
            ident = self.vault.identity(identity_id)
            reply = self.runtime.peers.send("remittance", "remittance.transfer.request", {
                "quote_id": quote["quote_id"], "identity_proof": proof,
                "sender_wallet": ident.wallet.address, "recipient": request["recipient"],
                "purpose": request.get("purpose", ""),
                **({"travel_rule": request["travel_rule"]} if "travel_rule" in request else {}),
            }, idempotency_key=key, correlation_id=rem_id)
            transfer_id = str(reply["transfer_id"])
            self._update_remittance(rem_id, status=str(reply.get("state", "submitted")),
                                    transfer_id=transfer_id)
        self._poll_later(rem_id)
        return {"transfer_id": transfer_id}

    def _poll_later(self, rem_id: str) -> None:
        self.jobs.ensure(REMIT_POLL, {"remittance_id": rem_id}, dedup_key=f"remit-poll:{rem_id}")

    def _job_remit_poll(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Ask once how the transfer stands; not final yet, the job retries with backoff.

        Each look is one short attempt: between looks the job holds no thread. A
        ``refresh`` (the remittance agent's notice of a dispute refund) looks again at a
        transfer already finished.
        """
        rem_id = payload["remittance_id"]
        with self.runtime.db.session() as s:
            row = s.get(RemittanceRow, rem_id)
            assert row is not None
            if row.receipt is not None and not payload.get("refresh"):
                return {"status": row.status}
            transfer_id = row.transfer_id
        assert transfer_id is not None, f"remittance {rem_id} was never sent"
        status = self.runtime.peers.send("remittance", "remittance.transfer.status",
                                         {"transfer_id": transfer_id}, correlation_id=rem_id)
        state = str(status.get("state"))
        if state not in TERMINAL:
            self._update_remittance(rem_id, status=state)
            raise StillPending(f"transfer {transfer_id} is still {state}; will check again")
        self._update_remittance(rem_id, ("remittance.finished",
                                         {"remittance_id": rem_id, "state": state}),
                                status=state, receipt=status.get("receipt") or status)
        return {"status": state}


def proof_from_wire(circuit: str, data: dict[str, Any]) -> Proof:
    return Proof.from_snarkjs(data["proof"], data["public"], circuit)
