"""A lender that crashed after recording the nullifier (and after the attestation was
mined) but before storing its decision must, when the worker retries, approve the same
application with the same on-chain attestation: not decline it as a replay, not send
the transaction twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from zkredit.agents.credit.models import ApplicationRow, NullifierRow
from zkredit.agents.worker.models import LoanApplicationRow
from zkredit.demo import flows
from zkredit.demo.system import LiveSystem


@pytest.mark.slow
@pytest.mark.e2e
def test_retried_submission_after_a_lender_crash_is_approved_once(tmp_path: Path) -> None:
    with LiveSystem(tmp_path, capture_bodies=False) as system:
        client = flows.WorkerClient(system.worker_url)
        out = flows.Outcome("scenario2")
        first = flows._loan(system, client, flows.SAMUEL, out, accept=False)
        client.http.close()
        decision = first["decision"]
        assert decision["status"] == "approved"
        tx = decision["attestation"]["tx_hash"]
        credit = system.runtimes["credit"]
        with credit.db.session() as s:
            app = s.get(ApplicationRow, first["explanation"]["opened"]["application_id"])
            assert app is not None
            app.decision = None  # the crash: nullifier stored, attestation mined, no decision
            app.attestation = None
            app.status = "open"
            remote_id = app.id
        with system.runtimes["worker"].db.session() as s:
            row = s.get(LoanApplicationRow, first["application_id"])
            assert row is not None and row.proofs
            proofs = row.proofs
        retried = system.runtimes["worker"].peers.send("credit", "credit.application.submit", {
            "application_id": remote_id, "proofs": proofs, "missing": [], "submission": None})
        assert retried["status"] == "approved", retried
        assert retried["attestation"]["tx_hash"] == tx
        assert retried["attestation"]["recovered"] is True
        with credit.db.session() as s:
            assert s.query(NullifierRow).count() == 1
