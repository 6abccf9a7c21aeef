"""The worker agent's HTTP API, used by the worker's own app (and the demo)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from zkredit.agents.worker.schemas import (
    Accepted,
    IdentityIn,
    IdentityOut,
    LoanIn,
    MembershipIn,
    RemittanceIn,
)
from zkredit.agents.worker.service import WorkerService
from zkredit.zk.field import FieldElement
from zkredit.zk.merkle import MerkleProof


def _service(request: Request) -> WorkerService:
    service: WorkerService = request.app.state.worker
    return service


Service = Annotated[WorkerService, Depends(_service)]
router = APIRouter(tags=["worker"])


def _wait(get: Any, key: str, done: set[str], wait_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + wait_s
    while True:
        current: dict[str, Any] = get(key)
        if current["status"] in done or time.monotonic() >= deadline:
            return current
        time.sleep(0.1)


@router.post("/identities", response_model=IdentityOut, status_code=201)
def create_identity(body: IdentityIn, service: Service) -> IdentityOut:
    ident = service.create_identity(body.label)
    return IdentityOut(identity_id=ident.id, commitment=str(ident.commitment),
                       wallet=ident.wallet.address)


@router.post("/identities/{identity_id}/credentials", status_code=201)
def import_credential(identity_id: str, body: dict[str, Any], service: Service) -> dict[str, Any]:
    return service.import_credential(identity_id, body)


@router.post("/identities/{identity_id}/kyc-membership", status_code=201)
def store_membership(identity_id: str, body: MembershipIn, service: Service) -> dict[str, str]:
    proof = MerkleProof(
        leaf=FieldElement(int(body.leaf)), index=body.index,
        path_elements=tuple(FieldElement(int(x)) for x in body.path_elements),
        path_indices=tuple(body.path_indices), root=FieldElement(int(body.root)),
    )
    service.vault.identity(identity_id)
    return {"item_id": service.vault.store_membership(identity_id, proof)}


@router.post("/identities/{identity_id}/loans", response_model=Accepted, status_code=202)
def apply(identity_id: str, body: LoanIn, service: Service) -> Accepted:
    app_id = service.apply_for_loan(identity_id, body.lender, body.amount_minor, body.currency,
                                    body.months, body.payout)
    return Accepted(id=app_id)


@router.get("/loans/{app_id}")
def get_loan(app_id: str, service: Service, wait: float = 0.0) -> dict[str, Any]:
    return _wait(service.loan, app_id, {"approved", "declined", "active", "failed"},
                 min(wait, 120.0))


@router.post("/loans/{app_id}/accept", response_model=Accepted, status_code=202)
def accept(app_id: str, service: Service) -> Accepted:
    service.accept_offer(app_id)
    return Accepted(id=app_id)


@router.post("/identities/{identity_id}/remittances", response_model=Accepted, status_code=202)
def remit(identity_id: str, body: RemittanceIn, service: Service) -> Accepted:
    rem_id = service.remit(identity_id, body.model_dump(exclude_none=True))
    return Accepted(id=rem_id)


@router.get("/remittances/{rem_id}")
def get_remittance(rem_id: str, service: Service, wait: float = 0.0) -> dict[str, Any]:
    return _wait(service.remittance, rem_id, {"completed", "refunded", "failed", "held", "expired"},
                 min(wait, 120.0))
