"""Staff pages: the lender's applications and repayment book, the compliance review
queue, the receiver's payouts. Each needs its role; the details come from the agents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import select

from zkredit.users.roles import Role
from zkredit.web.agents import AgentError
from zkredit.web.app import PageError, Web, redirect
from zkredit.web.forms import FormErrors, check_text

LIST_LIMIT = 100


def _recent(web: Web, party: str, model: Any, *filters: Any) -> list[Any]:
    try:
        with web.parties.session(party) as s:
            rows = s.scalars(select(model).where(*filters)
                             .order_by(model.created_at.desc()).limit(LIST_LIMIT))
            return [dict(r.__dict__) for r in rows]
    except Exception:
        return []


def router(web: Web, app: FastAPI) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    # -- lender ----------------------------------------------------------------------

    @r.get("/lender")
    @web.page
    async def lender(request: Request) -> Response:
        from zkredit.agents.credit.models import ApplicationRow

        session = await web.require(request, Role.LENDER, Role.OPERATOR)
        apps = _recent(web, "credit", ApplicationRow)
        loans = await web.agents.call("credit", "GET", "/loans", token=session.tokens.access)
        return web.render(request, "staff/lender.html", {
            "applications": [{k: a.get(k) for k in ("id", "status", "amount_minor", "currency",
                                                    "months", "created_at")} for a in apps],
            "loans": loans})

    @r.get("/lender/applications/{app_id}")
    @web.page
    async def application(request: Request, app_id: str) -> Response:
        from zkredit.agents.credit.models import ApplicationRow

        session = await web.require(request, Role.LENDER, Role.OPERATOR)
        data = await web.agents.call("credit", "GET", f"/applications/{app_id}",
                                     token=session.tokens.access)
        public: Any = None
        try:
            with web.parties.session("credit") as s:
                row = s.get(ApplicationRow, app_id)
                public = row.public_signals if row is not None else None
        except Exception:
            public = None
        return web.render(request, "staff/application.html", {
            "app": data, "decision": data.get("decision") or {},
            "attestation": data.get("attestation") or {}, "public": public or {}})

    # -- compliance ------------------------------------------------------------------

    @r.get("/compliance")
    @web.page
    async def compliance(request: Request) -> Response:
        from zkredit.agents.remittance.models import TransferRow

        await web.require(request, Role.COMPLIANCE)
        held = _recent(web, "remittance", TransferRow, TransferRow.state == "held")
        return web.render(request, "staff/compliance.html", {"held": held})

    @r.get("/compliance/transfers/{transfer_id}")
    @web.page
    async def held_transfer(request: Request, transfer_id: str) -> Response:
        session = await web.require(request, Role.COMPLIANCE)
        t = await web.agents.call("remittance", "GET", f"/transfers/{transfer_id}",
                                  token=session.tokens.access)
        return web.render(request, "staff/transfer.html", {"t": t, "transfer_id": transfer_id})

    @r.post("/compliance/transfers/{transfer_id}/review")
    @web.page
    async def review(request: Request, transfer_id: str) -> Response:
        session = await web.require(request, Role.COMPLIANCE)
        form = await web.form(request, session)
        errors = FormErrors()
        decision = form.get("decision", "")
        if decision not in ("approve", "reject"):
            errors["decision"] = "Choose approve or reject."
        note = check_text(errors, "note", form.get("note", ""), "reason", max_len=500)
        if errors:
            t = await web.agents.call("remittance", "GET", f"/transfers/{transfer_id}",
                                      token=session.tokens.access)
            return web.render(request, "staff/transfer.html", {
                "t": t, "transfer_id": transfer_id, "errors": errors, "form": form},
                status=400)
        try:
            await web.agents.call("remittance", "POST", f"/transfers/{transfer_id}/review",
                                  token=session.tokens.access,
                                  json={"decision": decision, "note": note,
                                        "reviewer": session.user.username[:64]})
        except AgentError as exc:
            raise PageError(exc.status if exc.status < 500 else 502, exc.message) from None
        return redirect(f"/compliance/transfers/{transfer_id}")

    # -- receiver --------------------------------------------------------------------

    @r.get("/receiver")
    @web.page
    async def receiver(request: Request) -> Response:
        from zkredit.agents.receiver.models import DisputeRow, PayoutRow

        await web.require(request, Role.RECEIVER_OPERATOR, Role.OPERATOR)
        payouts = _recent(web, "receiver", PayoutRow)
        disputes = _recent(web, "receiver", DisputeRow)
        return web.render(request, "staff/receiver.html", {
            "payouts": payouts, "disputes": disputes,
            "refunds": [p for p in payouts if p.get("status") in ("failed", "refunded")]})

    @r.get("/receiver/payouts/{payout_id}")
    @web.page
    async def payout(request: Request, payout_id: str) -> Response:
        session = await web.require(request, Role.RECEIVER_OPERATOR, Role.OPERATOR)
        p = await web.agents.call("receiver", "GET", f"/payouts/{payout_id}",
                                  token=session.tokens.access)
        return web.render(request, "staff/payout.html", {"p": p, "payout_id": payout_id})

    return r
