"""F13: a loan whose disbursement was refunded ends as ``disbursement_refunded`` at the
worker, whether the lender says so in its answer to the acceptance or afterwards (a
payout that failed later, or a dispute refund), in a signed ``worker.loan.refunded``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from tests.unit.agents.audit_crash import audited
from zkredit.agents.common.envelope import Envelope
from zkredit.agents.common.messaging import SenderNotAllowed
from zkredit.agents.worker.models import LoanApplicationRow
from zkredit.agents.worker.service import DISBURSEMENT_REFUNDED, NotFound, WorkerService
from zkredit.errors import InputError

CHAIN_ID = 31337


class Lender:
    """The credit agent answering an acceptance with a loan in ``status``."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.sent: list[str] = []

    def send(self, agent: str, kind: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
        assert (agent, kind) == ("credit", "credit.offer.accept")
        self.sent.append(kind)
        return {"loan_id": "loan-1", "status": self.status, "principal_minor": 250_000_000,
                "currency": "NGN", "disbursement": {"transfer_id": "t-1", "state": "refunded"}}


def approved_application(service: WorkerService, status: str = "approved",
                         loan: dict[str, Any] | None = None) -> str:
    ident = service.create_identity("Samuel")
    app_id = uuid.uuid4().hex
    with service.runtime.db.session() as s:
        s.add(LoanApplicationRow(
            id=app_id, identity_id=ident.id, lender="credit", amount_minor=250_000_000,
            currency="NGN", months=24, payout={"route": "bank_transfer"}, status=status,
            decision={"status": "approved", "offer": {"offer_id": "of-1"}}, loan=loan))
    return app_id


def test_a_refunded_disbursement_in_the_acceptance_is_final(
    worker_service: WorkerService, monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_id = approved_application(worker_service)
    lender = Lender(DISBURSEMENT_REFUNDED)
    monkeypatch.setattr(worker_service.runtime, "peers", lender)
    monkeypatch.setattr("zkredit.agents.worker.service.sign_offer", lambda *a: "0xsig")

    # Not "waiting for the disbursement" (retried until the job dies and is revived).
    assert worker_service._job_loan_accept({"application_id": app_id}) == {
        "status": DISBURSEMENT_REFUNDED}

    loan = worker_service.loan(app_id)
    assert loan["status"] == DISBURSEMENT_REFUNDED and loan["loan"]["loan_id"] == "loan-1"
    assert audited(worker_service.runtime.audit, "loan.disbursement_refunded") == [
        {"application_id": app_id, "loan_id": "loan-1"}]
    worker_service.resume()
    assert worker_service._job_loan_accept({"application_id": app_id}) == {
        "status": DISBURSEMENT_REFUNDED}
    assert lender.sent == ["credit.offer.accept"]  # never asked again


def notice(service: WorkerService, sender: str, account: LocalAccount,
           payload: dict[str, Any]) -> dict[str, Any]:
    env = Envelope.create("worker.loan.refunded", sender, "worker", payload).signed(
        account, CHAIN_ID)
    return service.runtime.inbox.deliver(env, None)


@pytest.fixture
def accounts(worker_service: WorkerService) -> dict[str, LocalAccount]:
    from eth_account import Account

    from zkredit.agents.common.envelope import StaticDirectory

    made = {party: Account.create() for party in ("credit", "remittance")}
    worker_service.runtime.inbox.directory = StaticDirectory(
        {**{p: a.address for p, a in made.items()},
         "worker": worker_service.runtime.account.address})
    worker_service.register_messages()
    return made


def test_the_lender_tells_the_worker_of_a_later_refund(
    worker_service: WorkerService, accounts: dict[str, LocalAccount],
) -> None:
    app_id = approved_application(worker_service, status="active",
                                  loan={"loan_id": "loan-1", "status": "disbursed"})
    payload = {"application_id": app_id, "loan_id": "loan-1"}

    reply = notice(worker_service, "credit", accounts["credit"], payload)

    assert reply == {"application_id": app_id, "status": DISBURSEMENT_REFUNDED}
    loan = worker_service.loan(app_id)
    assert loan["status"] == DISBURSEMENT_REFUNDED  # no longer "active"
    assert loan["loan"] == {"loan_id": "loan-1", "status": DISBURSEMENT_REFUNDED}
    notice(worker_service, "credit", accounts["credit"], payload)  # a repeat: no change
    assert len(audited(worker_service.runtime.audit, "loan.disbursement_refunded")) == 1


def test_only_the_loans_lender_may_reverse_it(
    worker_service: WorkerService, accounts: dict[str, LocalAccount],
) -> None:
    app_id = approved_application(worker_service, status="active",
                                  loan={"loan_id": "loan-1", "status": "disbursed"})
    with pytest.raises(SenderNotAllowed):
        notice(worker_service, "remittance", accounts["remittance"],
               {"application_id": app_id, "loan_id": "loan-1"})
    with pytest.raises(InputError, match="has loan loan-1"):
        notice(worker_service, "credit", accounts["credit"],
               {"application_id": app_id, "loan_id": "loan-2"})
    with pytest.raises(NotFound):
        notice(worker_service, "credit", accounts["credit"],
               {"application_id": "nope", "loan_id": "loan-1"})
    assert worker_service.loan(app_id)["status"] == "active"


class Provider:
    """The remittance agent answering status looks with ``state``."""

    def __init__(self, state: str) -> None:
        self.state = state

    def send(self, agent: str, kind: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
        assert (agent, kind) == ("remittance", "remittance.transfer.status")
        return {"transfer_id": payload["transfer_id"], "state": self.state,
                "receipt": {"state": "completed"}}


def test_a_finished_remittance_refunded_after_a_dispute_shows_refunded(
    worker_service: WorkerService, accounts: dict[str, LocalAccount],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zkredit.agents.worker.models import RemittanceRow

    ident = worker_service.create_identity("Maria")
    rem_id = uuid.uuid4().hex
    with worker_service.runtime.db.session() as s:
        s.add(RemittanceRow(id=rem_id, identity_id=ident.id, request={}, status="completed",
                            quote={}, transfer_id="tr_1", idempotency_key=rem_id,
                            receipt={"state": "completed"}))
    env = Envelope.create("worker.remittance.refunded", "remittance", "worker",
                          {"transfer_id": "tr_1"}).signed(accounts["remittance"], CHAIN_ID)

    reply = worker_service.runtime.inbox.deliver(env, None)

    assert reply == {"remittance_id": rem_id, "status": "completed"}  # looked at next
    jobs = worker_service.runtime.jobs
    queued = jobs.revive(f"remit-refresh:{rem_id}")  # finds it, creates nothing
    assert queued is not None and queued.kind == "worker.remit.poll"
    monkeypatch.setattr(worker_service.runtime, "peers", Provider("refunded"))
    # A plain look stops at the receipt; the refresh the notice queued looks again.
    assert worker_service._job_remit_poll({"remittance_id": rem_id}) == {"status": "completed"}
    assert worker_service._job_remit_poll({"remittance_id": rem_id, "refresh": True}) == {
        "status": "refunded"}
    assert worker_service.remittance(rem_id)["status"] == "refunded"
    with pytest.raises(SenderNotAllowed):
        worker_service.runtime.inbox.deliver(Envelope.create(
            "worker.remittance.refunded", "credit", "worker", {"transfer_id": "tr_1"}).signed(
            accounts["credit"], CHAIN_ID), None)
    with pytest.raises(NotFound):
        worker_service.runtime.inbox.deliver(Envelope.create(
            "worker.remittance.refunded", "remittance", "worker",
            {"transfer_id": "tr_none"}).signed(accounts["remittance"], CHAIN_ID), None)
