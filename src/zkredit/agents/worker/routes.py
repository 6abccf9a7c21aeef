"""The worker agent's HTTP API, used by the worker's own app (and the demo)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool

from zkredit.agents.common.auth import owned_ids, record_owner
from zkredit.agents.worker.schemas import (
    Accepted,
    IdentityIn,
    IdentityOut,
    LoanIn,
    MembershipIn,
    RemittanceIn,
)
from zkredit.agents.worker.service import WorkerService
from zkredit.errors import InputError


def _service(request: Request) -> WorkerService:
    service: WorkerService = request.app.state.worker
    return service


Service = Annotated[WorkerService, Depends(_service)]
router = APIRouter(tags=["worker"])


class MissingIdempotencyKey(InputError):
    """Raised when a POST that moves money or starts proving has no Idempotency-Key."""


def _idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1,
                                      max_length=128)] = None,
) -> str:
    if key is None:
        raise MissingIdempotencyKey(
            "this request needs an Idempotency-Key header",
            hint="Send a fresh random key per request; reuse it only to retry the same body.")
    return key


IdempotencyKey = Annotated[str, Depends(_idempotency_key)]
"""The client's key: a retry with the same key and body returns the first answer."""


MAX_WAIT_S = 120.0
"""The longest a long-poll is held; a client asking for more gets the state at that point."""
POLL_INTERVAL_S = 0.2

Wait = Annotated[
    float,
    Query(ge=0, allow_inf_nan=False,
          description=f"seconds to wait for a final state (at most {MAX_WAIT_S:g})"),
]
"""A finite, non-negative wait: ``nan`` would never compare past a deadline."""


async def _wait(get: Callable[[str], dict[str, Any]], key: str, done: set[str],
                wait_s: float) -> dict[str, Any]:
    """Poll ``get(key)`` until its status is in ``done`` or ``wait_s`` (clamped) has passed.

    The route is async and sleeps on the event loop, so a waiting client holds no
    thread-pool token: only each short read borrows a thread. Held sync long-polls
    would starve every sync route (``/health`` included) once the pool is used up.
    """
    deadline = time.monotonic() + min(wait_s, MAX_WAIT_S)
    while True:
        current = await run_in_threadpool(get, key)
        remaining = deadline - time.monotonic()
        if current["status"] in done or remaining <= 0:
            return current
        await anyio.sleep(min(POLL_INTERVAL_S, remaining))


@router.post("/identities", response_model=IdentityOut, status_code=201)
def create_identity(body: IdentityIn, service: Service, request: Request) -> IdentityOut:
    ident = service.create_identity(body.label)
    record_owner(request, "identity", ident.id)
    return IdentityOut(identity_id=ident.id, commitment=str(ident.commitment),
                       wallet=ident.wallet.address)


@router.get("/identities")
def my_identities(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  after: Annotated[str | None, Query(max_length=64)] = None
                  ) -> dict[str, Any]:
    """The caller's identities, a page at a time (``after``: the last id of the page)."""
    ids = owned_ids(request, "identity", limit=limit, after=after)
    return {"identities": ids, "next": ids[-1] if len(ids) == limit else None}


@router.post("/identities/{identity_id}/credentials", status_code=201)
def import_credential(identity_id: str, body: dict[str, Any], service: Service) -> dict[str, Any]:
    return service.import_credential(identity_id, body)


@router.post("/identities/{identity_id}/kyc-membership", status_code=201)
def store_membership(identity_id: str, body: MembershipIn, service: Service) -> dict[str, str]:
    service.vault.identity(identity_id)
    return {"item_id": service.vault.store_membership(identity_id, body.to_proof())}


@router.post("/identities/{identity_id}/loans", response_model=Accepted, status_code=202)
def apply(identity_id: str, body: LoanIn, service: Service, key: IdempotencyKey,
          request: Request) -> Accepted:
    app_id = service.apply_for_loan(identity_id, body.lender, body.amount_minor, body.currency,
                                    body.months, body.payout, client_key=key)
    record_owner(request, "loan", app_id)
    return Accepted(id=app_id)


@router.get("/loans/{app_id}")
async def get_loan(app_id: str, service: Service, wait: Wait = 0.0) -> dict[str, Any]:
    return await _wait(service.loan, app_id, {"approved", "declined", "active", "failed",
                                              "disbursement_refunded"}, wait)


@router.post("/loans/{app_id}/accept", response_model=Accepted, status_code=202)
def accept(app_id: str, service: Service) -> Accepted:
    service.accept_offer(app_id)
    return Accepted(id=app_id)


@router.post("/identities/{identity_id}/remittances", response_model=Accepted, status_code=202)
def remit(identity_id: str, body: RemittanceIn, service: Service,
          key: IdempotencyKey, request: Request) -> Accepted:
    rem_id = service.remit(identity_id, body.model_dump(exclude_none=True), client_key=key)
    record_owner(request, "remittance", rem_id)
    return Accepted(id=rem_id)


@router.get("/remittances/{rem_id}")
async def get_remittance(rem_id: str, service: Service, wait: Wait = 0.0) -> dict[str, Any]:
    return await _wait(service.remittance, rem_id,
                       {"completed", "refunded", "failed", "held", "expired", "unfunded"}, wait)
