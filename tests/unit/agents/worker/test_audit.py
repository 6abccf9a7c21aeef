"""F34: the worker's vault changes commit with their audit entries."""

from __future__ import annotations

import pytest

from tests.unit.agents.audit_crash import SimulatedCrash, audited, crash_on_audit
from zkredit.agents.worker.models import IdentityRow, VaultItemRow
from zkredit.agents.worker.service import WorkerService
from zkredit.scenarios import ISSUER_ROLES, demo_issuer
from zkredit.zk.credentials import Credential, CredentialType, issue


def test_a_crash_while_auditing_a_new_identity_leaves_no_identity(
    worker_service: WorkerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    with crash_on_audit(monkeypatch, "identity.created"), pytest.raises(SimulatedCrash):
        worker_service.create_identity("maria")
    with worker_service.runtime.db.session() as s:
        assert s.query(IdentityRow).count() == 0

    ident = worker_service.create_identity("maria")

    assert [e["identity_id"] for e in audited(worker_service.runtime.audit, "identity.created")] \
        == [ident.id]


def test_a_crash_while_auditing_a_credential_import_stores_no_credential(
    worker_service: WorkerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = worker_service.create_identity("maria")
    kyc = CredentialType.KYC
    signed = issue(
        Credential.build(kyc, ident.commitment,
                         {"birthDate": 19900602, "jurisdiction": 608, "kycLevel": 1}),
        demo_issuer(ISSUER_ROLES[kyc]), "demo kyc",
    )
    with crash_on_audit(monkeypatch, "credential.imported"), pytest.raises(SimulatedCrash):
        worker_service.import_credential(ident.id, signed.to_dict())
    with worker_service.runtime.db.session() as s:
        assert s.query(VaultItemRow).count() == 0

    worker_service.import_credential(ident.id, signed.to_dict())

    assert len(audited(worker_service.runtime.audit, "credential.imported")) == 1
    assert worker_service.runtime.audit.verify().ok
