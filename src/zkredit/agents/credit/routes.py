"""The credit agent's plain HTTP API (policy, applications, loans)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from zkredit.agents.common.paging import Before, Limit, newest_first
from zkredit.agents.credit.models import ApplicationRow, LoanRow
from zkredit.agents.credit.schemas import RepaymentIn
from zkredit.agents.credit.service import ApplicationNotFound, CreditService


def _service(request: Request) -> CreditService:
    service: CreditService = request.app.state.credit
    return service


Service = Annotated[CreditService, Depends(_service)]
router = APIRouter(tags=["credit"])


@router.get("/policy")
def policy(service: Service) -> dict[str, Any]:
    return service.published_policy()


@router.get("/applications")
def applications(service: Service, limit: Limit = 50,
                 before: Before = None) -> list[dict[str, Any]]:
    """Applications, newest first, a page at a time: what was asked for and where it
    stands (the applicant's wallet and worker reference stay out of the list)."""
    with service.runtime.db.session() as s:
        return [{"application_id": row.id, "status": row.status,
                 "amount_minor": row.amount_minor, "currency": row.currency,
                 "months": row.months, "created_at": row.created_at.isoformat()}
                for row in newest_first(s, ApplicationRow, limit=limit, before=before)]


@router.get("/applications/{app_id}")
def application(app_id: str, service: Service) -> dict[str, Any]:
    """One application: the proofs' public signals, the decision and the attestation."""
    with service.runtime.db.session() as s:
        row = s.get(ApplicationRow, app_id)
        if row is None:
            raise ApplicationNotFound(f"no application {app_id!r}")
        return {"application_id": row.id, "status": row.status, "decision": row.decision,
                "attestation": row.attestation, "public_signals": row.public_signals}


@router.get("/loans")
def loans(service: Service, limit: Annotated[int, Query(ge=1, le=500)] = 100,
          after: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    """Loans in id order, a page at a time (``after``: the last ``loan_id`` of a page)."""
    query = select(LoanRow).order_by(LoanRow.id).limit(limit)
    if after:
        query = query.where(LoanRow.id > after)
    with service.runtime.db.session() as s:
        return [service._loan_reply(row) for row in s.scalars(query)]


@router.post("/loans/{loan_id}/repayments", status_code=201)
def repay(loan_id: str, body: RepaymentIn, service: Service) -> dict[str, Any]:
    return service.record_repayment(loan_id, body.amount_minor, body.currency, body.reference)
