"""F13 end to end: a loan disbursement refunded after a dispute reaches every party.

Scenario 2 on the live system (chain, four agents over HTTP): Samuel's loan is
disbursed, delivered and its first installment repaid. Then the receiver upholds a
dispute on the payout. The refund is passed on in signed envelopes: the remittance
agent refunds the transfer, the lender reverses only the receivable still outstanding
(the installment stays booked as repaid) and closes the loan, and Samuel's worker shows
the loan as ``disbursement_refunded``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zkredit.agents.credit.models import LoanRow
from zkredit.agents.receiver.schemas import DisputeOpen, DisputeResolve
from zkredit.demo import flows
from zkredit.demo.system import LiveSystem
from zkredit.domain.ledger import loans_receivable
from zkredit.store.ledger import Ledger

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def until(what: str, probe: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := probe()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return result


def test_a_disputed_loan_disbursement_is_reversed_everywhere(tmp_path: Path) -> None:
    with LiveSystem(tmp_path, capture_bodies=False) as system:
        client = flows.WorkerClient(system.worker_url)
        out = flows.Outcome("scenario2")
        application = flows._loan(system, client, flows.SAMUEL, out, accept=True)
        loan_id = str(out.data["loan"]["loan_id"])
        remittance = system.services["remittance"].remittance
        delivered = until("the disbursement to complete", lambda: (
            s := remittance.disbursement_status(loan_id, "credit")).state == "completed" and s)
        credit = system.runtimes["credit"]
        with credit.db.session() as s:
            repaid = s.get(LoanRow, loan_id)
            assert repaid is not None and repaid.repaid_installments == 1

        receiver = system.services["receiver"].receiver
        dispute = receiver.open_dispute(
            DisputeOpen(transfer_id=delivered.transfer_id, reason="never arrived"), "ops")
        receiver.resolve_dispute(dispute.dispute_id,
                                 DisputeResolve(outcome="refunded", by="ops"))

        until("the transfer to be refunded", lambda: remittance.disbursement_status(
            loan_id, "credit").state == "refunded")

        def loan_status() -> str:
            with credit.db.session() as s:
                row = s.get(LoanRow, loan_id)
                assert row is not None
                return row.status

        until("the lender to reverse the loan",
              lambda: loan_status() == "disbursement_refunded")
        worker_app = str(application["application_id"])
        until("the worker to show the refund", lambda: client.loan(
            worker_app, wait=0)["status"] == "disbursement_refunded")
        lender_books = Ledger(credit.db)
        assert lender_books.trial_balance().balanced
        ngn = lender_books.balance(loans_receivable(loan_id), "NGN")
        assert ngn.minor == 0  # reversed down to zero, not below: the installment stays
        for party in ("remittance", "receiver", "worker"):
            assert Ledger(system.runtimes[party].db).trial_balance().balanced, party
        client.http.close()
