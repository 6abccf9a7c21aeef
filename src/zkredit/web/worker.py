"""A worker's pages: onboarding, credentials, sending money, applying for a loan.

Everything goes through the worker agent as the logged-in worker, so the agent's
ownership rules apply: another worker's loan or transfer answers 404, and so does its
page here.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from zkredit.users.roles import Role
from zkredit.web.agents import AgentError
from zkredit.web.app import PageError, Web, redirect
from zkredit.web.forms import (
    ROUTE_NAMES,
    ROUTES,
    FormErrors,
    check_amount,
    check_currency,
    check_int,
    check_text,
)
from zkredit.web.session import Session

TRANSFER_STEPS = [("requested", "Requested"), ("quoted", "Quoted"), ("funded", "Funded"),
                  ("compliance_passed", "Compliance checked"), ("sent", "Sent"),
                  ("paid_out", "Paid out"), ("completed", "Completed")]
QUOTE_FIELDS = {"send_currency", "receive_currency", "send_amount_minor",
                "receive_amount_minor"}
TRANSFER_FINAL = {"completed", "refunded", "failed", "expired", "unfunded", "rejected"}
LOAN_STEPS = [("requested", "Application sent"), ("opened", "Lender's policy checked"),
              ("proving", "Proving on your device"), ("decided", "Lender decided"),
              ("active", "Offer accepted, loan paid out")]
LOAN_FINAL = {"declined", "active", "failed", "disbursement_refunded"}
PRIVATE = {
    "income": "your monthly income for each month, your employer, your start date",
    "credit_history": "your score, history length, defaults, late payments, debt ratio",
    "collateral": "the asset's value, type and valuation date",
    "identity": "your identity secret, birth date and jurisdiction, your place in the KYC tree",
}
PROVEN = {
    "income": "every month's income is at least the lender's minimum, and you have been "
              "employed long enough",
    "credit_history": "your score meets the minimum (only the score band is shown), no "
                      "defaults, late payments and debt ratio within the policy",
    "collateral": "your collateral covers the required share of the loan, with no lien",
    "identity": "you passed KYC, you are an adult, your jurisdiction is not excluded",
}


async def _identities(web: Web, session: Session) -> list[str]:
    data = await web.agents.call("worker", "GET", "/identities", token=session.tokens.access,
                                 params={"limit": 200})
    return list(data.get("identities") or [])


def _owned(web: Web, session: Session, kind: str) -> list[str]:
    """The worker's own loans or transfers, newest first (empty if the store is away)."""
    try:
        return list(reversed(web.access_store().owned("worker", kind, session.user.subject,
                                                      limit=50, after=None)))
    except Exception:
        return []


def _steps(steps: list[tuple[str, str]], status: str, failed: bool) -> list[dict[str, str]]:
    keys = [k for k, _ in steps]
    at = keys.index(status) if status in keys else (len(keys) - 1 if not failed else -1)
    out = []
    for i, (key, label) in enumerate(steps):
        state = "done" if i < at or (i == at and status in TRANSFER_FINAL | LOAN_FINAL) else (
            "current" if i == at else "")
        out.append({"key": key, "label": label, "state": state})
    return out


def remittance_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The worker agent's remittance request from the send form, or what is wrong."""
    errors = FormErrors()
    send_cur = check_currency(errors, "send_currency", form.get("send_currency", ""))
    recv_cur = check_currency(errors, "receive_currency", form.get("receive_currency", ""))
    side = form.get("amount_side", "receive")
    if side not in ("send", "receive"):
        side = "receive"
    amount = check_amount(errors, "amount", form.get("amount", ""),
                          recv_cur if side == "receive" else send_cur)
    route = form.get("route", "bank_transfer")
    if route not in ROUTES:
        errors["route"] = "Choose how the money is paid out."
    body: dict[str, Any] = {"send_currency": send_cur, "receive_currency": recv_cur,
                            "route": route, f"{side}_amount_minor": amount}
    return body, errors


def recipient_of(form: dict[str, str], errors: FormErrors) -> dict[str, str]:
    country = check_text(errors, "country", form.get("country", ""), "country code",
                         max_len=2).upper()
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = "Enter the two-letter country code, such as PH."
    return {"name": check_text(errors, "name", form.get("name", ""), "recipient's name"),
            "account": check_text(errors, "account", form.get("account", ""), "account number",
                                  max_len=34),
            "bank": check_text(errors, "bank", form.get("bank", ""), "bank or provider"),
            "country": country}


def router(web: Web, app: FastAPI) -> APIRouter:
    r = APIRouter(prefix="/worker", include_in_schema=False)

    # -- home and onboarding ----------------------------------------------------

    @r.get("")
    @web.page
    async def home(request: Request) -> Response:
        session = await web.require(request, Role.WORKER)
        return web.render(request, "worker/home.html", {
            "identities": await _identities(web, session),
            "transfers": _owned(web, session, "remittance"),
            "loans": _owned(web, session, "loan"),
            "created": request.query_params.get("created")})

    @r.post("/identities")
    @web.page
    async def create_identity(request: Request) -> Response:
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        errors = FormErrors()
        label = check_text(errors, "label", form.get("label", ""), "your name")
        if errors:
            return web.render(request, "worker/home.html", {
                "identities": await _identities(web, session), "errors": errors,
                "transfers": [], "loans": [], "form": form}, status=400)
        ident = await web.agents.call("worker", "POST", "/identities",
                                      token=session.tokens.access, json={"label": label})
        return web.render(request, "worker/identity.html", {
            "identity_id": ident["identity_id"], "created": ident})

    async def own_identity(session: Session, identity_id: str) -> None:
        if identity_id not in await _identities(web, session):
            raise PageError(404, "You have no identity with that id.")

    @r.get("/identities/{identity_id}")
    @web.page
    async def identity(request: Request, identity_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        await own_identity(session, identity_id)
        return web.render(request, "worker/identity.html", {"identity_id": identity_id})

    @r.post("/identities/{identity_id}/kyc")
    @web.page
    async def kyc(request: Request, identity_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        await own_identity(session, identity_id)
        ctx: dict[str, Any] = {"identity_id": identity_id}
        try:
            membership = json.loads(form.get("membership", ""))
            if not isinstance(membership, dict):
                raise ValueError
        except ValueError:
            ctx["kyc_error"] = ("Paste the KYC proof exactly as your KYC provider gave it "
                                "(a JSON object with leaf, index, root and path).")
            return web.render(request, "worker/identity.html", ctx, status=400)
        try:
            await web.agents.call("worker", "POST", f"/identities/{identity_id}/kyc-membership",
                                  token=session.tokens.access, json=membership)
        except AgentError as exc:
            ctx["kyc_error"] = exc.message
            return web.render(request, "worker/identity.html", ctx, status=400)
        ctx["kyc_ok"] = True
        return web.render(request, "worker/identity.html", ctx)

    @r.post("/identities/{identity_id}/credentials")
    @web.page
    async def credential(request: Request, identity_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        await own_identity(session, identity_id)
        ctx: dict[str, Any] = {"identity_id": identity_id}
        try:
            cred = json.loads(form.get("credential", ""))
            if not isinstance(cred, dict):
                raise ValueError
        except ValueError:
            ctx["cred_error"] = ("Paste the credential exactly as its issuer gave it "
                                 "(a JSON object).")
            return web.render(request, "worker/identity.html", ctx, status=400)
        try:
            out = await web.agents.call("worker", "POST",
                                        f"/identities/{identity_id}/credentials",
                                        token=session.tokens.access, json=cred)
        except AgentError as exc:
            ctx["cred_error"] = exc.message
            return web.render(request, "worker/identity.html", ctx, status=400)
        ctx["imported"] = {**out, **credential_dates(cred)}
        return web.render(request, "worker/identity.html", ctx)

    # -- sending money -------------------------------------------------------------

    @r.get("/send")
    @web.page
    async def send_form(request: Request) -> Response:
        session = await web.require(request, Role.WORKER)
        return web.render(request, "worker/send.html", {
            "identities": await _identities(web, session), "routes": ROUTE_NAMES,
            "form": {"send_currency": "SGD", "receive_currency": "PHP",
                     "amount_side": "receive", "route": "bank_transfer"}})

    async def quotes(session: Session, body: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for route in ROUTES:
            q = {k: v for k, v in body.items() if k in QUOTE_FIELDS} | {"route": route}
            reply = await web.agents.call("remittance", "POST", "/quotes",
                                          token=session.tokens.access, json=q)
            out.append({"route": route, "name": ROUTE_NAMES[route], **reply["quote"],
                        "quote_id": reply["quote_id"]})
        return out

    @r.post("/quote")
    @web.page
    async def quote(request: Request) -> Response:
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        body, errors = remittance_body(form)
        if errors:
            return web.render(request, "worker/_quotes.html", {"quote_errors": errors})
        try:
            found = await quotes(session, body)
        except AgentError as exc:
            return web.render(request, "worker/_quotes.html", {"quote_error": exc.message})
        return web.render(request, "worker/_quotes.html", {"quotes": found,
                                                           "chosen": body["route"]})

    @r.post("/send")
    @web.page
    async def send_review(request: Request) -> Response:
        """Checks the form; shows what will happen and asks for the password."""
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        body, errors = remittance_body(form)
        body["recipient"] = recipient_of(form, errors)
        body["purpose"] = check_text(errors, "purpose", form.get("purpose", ""), "purpose",
                                     max_len=64, required=False)
        identities = await _identities(web, session)
        identity_id = form.get("identity_id", "")
        if identity_id not in identities:
            errors["identity_id"] = "Choose one of your identities (create one first)."
        if errors:
            return web.render(request, "worker/send.html", {
                "identities": identities, "routes": ROUTE_NAMES, "form": form,
                "errors": errors}, status=400)
        try:
            found = await quotes(session, body)
        except AgentError as exc:
            return web.render(request, "worker/send.html", {
                "identities": identities, "routes": ROUTE_NAMES, "form": form,
                "errors": {"amount": exc.message}}, status=400)
        chosen = next(q for q in found if q["route"] == body["route"])
        return web.render(request, "worker/confirm_send.html", {
            "body": body, "body_json": json.dumps(body, sort_keys=True),
            "identity_id": identity_id, "quote": chosen,
            "key": uuid.uuid4().hex})

    @r.post("/send/confirm")
    @web.page
    async def send_confirm(request: Request) -> Response:
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        try:
            body = json.loads(form.get("body", ""))
        except ValueError:
            raise PageError(400, "The transfer details were lost. Start again.") from None
        _check, errors = remittance_body({
            "send_currency": body.get("send_currency", ""),
            "receive_currency": body.get("receive_currency", ""),
            "amount_side": "receive" if "receive_amount_minor" in body else "send",
            "amount": "1", "route": body.get("route", "")})
        identity_id = form.get("identity_id", "")
        if errors or not isinstance(body.get("recipient"), dict):
            raise PageError(400, "The transfer details are not valid. Start again.")
        if not form.get("password"):
            return web.render(request, "worker/confirm_send.html", {
                "body": body, "body_json": form["body"], "identity_id": identity_id,
                "quote": None, "key": form.get("key") or uuid.uuid4().hex,
                "password_error": "Enter your password to confirm this transfer."},
                status=400)
        try:
            consent = await web.agents.call("worker", "POST", "/auth/confirm",
                                            token=session.tokens.access, json={
                                                "password": form["password"],
                                                "action": "remittance.send",
                                                "resource": identity_id, "details": body})
        except AgentError as exc:
            msg = ("That password is not right." if exc.status in (401, 403)
                   else exc.message)
            return web.render(request, "worker/confirm_send.html", {
                "body": body, "body_json": form["body"], "identity_id": identity_id,
                "quote": None, "key": form.get("key") or uuid.uuid4().hex,
                "password_error": msg}, status=400)
        sent = await web.agents.call(
            "worker", "POST", f"/identities/{identity_id}/remittances",
            token=session.tokens.access, json=body,
            headers={"Idempotency-Key": form.get("key") or uuid.uuid4().hex,
                     "X-Confirmation-Token": consent["confirmation_token"]})
        return redirect(f"/worker/transfers/{sent['id']}")

    async def transfer_ctx(session: Session, rem_id: str) -> dict[str, Any]:
        rem = await web.agents.call("worker", "GET", f"/remittances/{rem_id}",
                                    token=session.tokens.access)
        status = str(rem.get("status", ""))
        receipt = rem.get("receipt") or {}
        failed = status in {"failed", "refunded", "expired", "unfunded", "rejected"}
        return {"rem": rem, "status": status, "receipt": receipt,
                "final": status in TRANSFER_FINAL, "held": status == "held",
                "failed": failed, "steps": _steps(TRANSFER_STEPS, status, failed),
                "stamps": receipt.get("timestamps") or {},
                "quote": (rem.get("quote") or {}).get("quote") or {}, "rem_id": rem_id}

    @r.get("/transfers/{rem_id}")
    @web.page
    async def transfer(request: Request, rem_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        return web.render(request, "worker/transfer.html", await transfer_ctx(session, rem_id))

    @r.get("/transfers/{rem_id}/status")
    @web.page
    async def transfer_status(request: Request, rem_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        return web.render(request, "worker/_transfer_status.html",
                          await transfer_ctx(session, rem_id))

    # -- loans -----------------------------------------------------------------------

    async def policies() -> dict[str, Any]:
        try:
            data = await web.agents.call("credit", "GET", "/policy")
        except AgentError:
            return {}
        return dict(data or {})

    @r.get("/loans/new")
    @web.page
    async def loan_form(request: Request) -> Response:
        session = await web.require(request, Role.WORKER)
        return web.render(request, "worker/loan_new.html", {
            "identities": await _identities(web, session), "policies": await policies(),
            "form": {"currency": "NGN", "months": "24", "country": "NG"}})

    @r.post("/loans")
    @web.page
    async def apply(request: Request) -> Response:
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        errors = FormErrors()
        cur = check_currency(errors, "currency", form.get("currency", ""))
        amount = check_amount(errors, "amount", form.get("amount", ""), cur)
        months = check_int(errors, "months", form.get("months", ""), "number of months", 1, 360)
        recipient = recipient_of(form, errors)
        identities = await _identities(web, session)
        identity_id = form.get("identity_id", "")
        if identity_id not in identities:
            errors["identity_id"] = "Choose one of your identities (create one first)."
        if errors:
            return web.render(request, "worker/loan_new.html", {
                "identities": identities, "policies": await policies(), "form": form,
                "errors": errors}, status=400)
        applied = await web.agents.call(
            "worker", "POST", f"/identities/{identity_id}/loans", token=session.tokens.access,
            json={"lender": "credit", "amount_minor": amount, "currency": cur,
                  "months": months,
                  "payout": {"route": "bank_transfer", "recipient": recipient}},
            headers={"Idempotency-Key": form.get("key") or uuid.uuid4().hex})
        return redirect(f"/worker/loans/{applied['id']}")

    async def loan_ctx(session: Session, app_id: str) -> dict[str, Any]:
        loan = await web.agents.call("worker", "GET", f"/loans/{app_id}",
                                     token=session.tokens.access)
        status = str(loan.get("status", ""))
        decision = loan.get("decision") or {}
        explanation = loan.get("explanation") or {}
        shown = "decided" if status in ("approved", "declined") else status
        failed = status in ("declined", "failed")
        circuits = list(explanation.get("proving") or [])
        done = set(loan.get("proofs_done") or ())
        offer = decision.get("offer") or {}
        return {"loan": loan, "status": status, "decision": decision, "offer": offer,
                "app_id": app_id, "final": status in LOAN_FINAL,
                "steps": _steps(LOAN_STEPS, shown, failed), "circuits": circuits,
                "proven": {c: PROVEN.get(c, c) for c in circuits},
                "private": {c: PRIVATE.get(c, "") for c in circuits},
                "failing": explanation.get("failing_conditions") or {},
                "policy": (explanation.get("opened") or {}).get("policy") or {},
                "proving": status in ("requested", "opened", "proving"),
                "proofs_done": [c for c in circuits if c in done]}

    @r.get("/loans/{app_id}")
    @web.page
    async def loan(request: Request, app_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        ctx = await loan_ctx(session, app_id)
        ctx["accepted"] = bool(request.query_params.get("accepted"))
        return web.render(request, "worker/loan.html", ctx)

    @r.get("/loans/{app_id}/status")
    @web.page
    async def loan_status(request: Request, app_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        ctx = await loan_ctx(session, app_id)
        ctx["accepted"] = bool(request.query_params.get("accepted"))
        return web.render(request, "worker/_loan_status.html", ctx)

    @r.post("/loans/{app_id}/accept")
    @web.page
    async def accept(request: Request, app_id: str) -> Response:
        session = await web.require(request, Role.WORKER)
        form = await web.form(request, session)
        ctx = await loan_ctx(session, app_id)
        if ctx["status"] != "approved":
            raise PageError(409, "This application has no offer to accept.", "No offer")
        if not form.get("password"):
            ctx["password_error"] = "Enter your password to sign the acceptance."
            return web.render(request, "worker/loan.html", ctx, status=400)
        try:
            consent = await web.agents.call("worker", "POST", "/auth/confirm",
                                            token=session.tokens.access, json={
                                                "password": form["password"],
                                                "action": "loan.accept", "resource": app_id})
        except AgentError as exc:
            ctx["password_error"] = ("That password is not right."
                                     if exc.status in (401, 403) else exc.message)
            return web.render(request, "worker/loan.html", ctx, status=400)
        await web.agents.call("worker", "POST", f"/loans/{app_id}/accept",
                              token=session.tokens.access,
                              headers={"X-Confirmation-Token": consent["confirmation_token"]})
        return redirect(f"/worker/loans/{app_id}?accepted=1")

    return r


def credential_dates(cred: dict[str, Any]) -> dict[str, str]:
    """Issue and expiry dates of a pasted credential (signed day indices), if present."""
    import datetime as dt

    out = {}
    attrs = cred.get("attributes")
    fields = {**cred, **(attrs if isinstance(attrs, dict) else {})}
    for key, name in (("issuedAt", "issued"), ("expiresAt", "expires")):
        value = fields.get(key)
        if isinstance(value, int | str) and str(value).isdigit():
            out[name] = (dt.date(1970, 1, 1) + dt.timedelta(days=int(value))).isoformat()
    return out
