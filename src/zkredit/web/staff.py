"""Staff pages: the lender's applications and repayment book, the compliance review
queue, the receiver's payouts. Each needs its role; every list and detail comes from the
agents' HTTP APIs as the person logged in, so each agent decides what the role sees."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from zkredit.users.roles import Role
from zkredit.web.agents import AgentError
from zkredit.web.app import PageError, Web, redirect
from zkredit.web.forms import FormErrors, check_text

LIST_LIMIT = 100


def router(web: Web, app: FastAPI) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    # -- lender ----------------------------------------------------------------------

    @r.get("/lender")
    @web.page
    async def lender(request: Request) -> Response:
        session = await web.require(request, Role.LENDER, Role.OPERATOR)
        page = {"limit": LIST_LIMIT}
        apps = await web.agents.call("credit", "GET", "/applications",
                                     token=session.tokens.access, params=page)
        loans = await web.agents.call("credit", "GET", "/loans", token=session.tokens.access,
                                      params=page)
        return web.render(request, "staff/lender.html", {"applications": apps,
                                                         "loans": loans})

    @r.get("/lender/applications/{app_id}")
    @web.page
    async def application(request: Request, app_id: str) -> Response:
        session = await web.require(request, Role.LENDER, Role.OPERATOR)
        data = await web.agents.call("credit", "GET", f"/applications/{app_id}",
                                     token=session.tokens.access)
        return web.render(request, "staff/application.html", {
            "app": data, "decision": data.get("decision") or {},
            "attestation": data.get("attestation") or {},
            "public": data.get("public_signals") or {}})

    # -- compliance ------------------------------------------------------------------

    @r.get("/compliance")
    @web.page
    async def compliance(request: Request) -> Response:
        session = await web.require(request, Role.COMPLIANCE)
        held = await web.agents.call("remittance", "GET", "/transfers",
                                     token=session.tokens.access,
                                     params={"state": "held", "limit": LIST_LIMIT})
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
        session = await web.require(request, Role.RECEIVER_OPERATOR, Role.OPERATOR)
        page = {"limit": LIST_LIMIT}
        payouts = await web.agents.call("receiver", "GET", "/payouts",
                                        token=session.tokens.access, params=page)
        disputes = await web.agents.call("receiver", "GET", "/disputes",
                                         token=session.tokens.access, params=page)
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
