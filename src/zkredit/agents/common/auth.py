"""Authentication and authorisation of the agents' HTTP routes.

:class:`AccessMiddleware` applies :data:`~zkredit.agents.common.access.ROUTES` to every
request before the route runs: it verifies the bearer access token, checks the route's
roles, that the caller owns the resource the route names, and, on routes that move
money, spends the caller's single-use confirmation token. :func:`auth_router` serves
logins (``/auth/token``), refresh rotation, logout and confirmations (a re-entered
password for one action). Routes read the caller with :func:`principal_of`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zkredit.agents.common.access import ROUTES, RouteIndex, Rule, rule_for
from zkredit.agents.common.problems import problem
from zkredit.users.roles import Role
from zkredit.users.store import AccessStore, ConfirmationSpent, LoginFailed
from zkredit.users.tokens import Principal, TokenError, TokenKeys, body_digest

CONFIRM_HEADER = "x-confirmation-token"
IDEMPOTENCY_HEADER = "idempotency-key"
CONFIRM_ACTIONS = {r.confirm.action: r.confirm for r in ROUTES.values() if r.confirm}


@dataclass
class Gatekeeper:
    """What one agent's access checks need: its name, the token keys, the access store."""

    agent: str
    keys: TokenKeys
    store: AccessStore

    def record_owner(self, kind: str, resource_id: str, principal: Principal) -> None:
        self.store.record_owner(self.agent, kind, resource_id, principal.subject)


def principal_of(request: Request) -> Principal | None:
    """The verified caller of this request (None on an app without access control)."""
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else None


def record_owner(request: Request, kind: str, resource_id: str) -> None:
    """Record that the caller owns ``resource_id`` (their new identity, loan, ...)."""
    gate: Gatekeeper | None = getattr(request.app.state, "access", None)
    principal = principal_of(request)
    if gate is not None and principal is not None:
        gate.record_owner(kind, resource_id, principal)


def owned_ids(request: Request, kind: str, *, limit: int, after: str | None) -> list[str]:
    """A page of the caller's resources of ``kind`` (empty without access control)."""
    gate: Gatekeeper | None = getattr(request.app.state, "access", None)
    principal = principal_of(request)
    if gate is None or principal is None:
        return []
    return gate.store.owned(gate.agent, kind, principal.subject, limit=limit, after=after)


class _Refused(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.response = problem(status, slug, title, detail)
        for k, v in (headers or {}).items():
            self.response.headers[k] = v


def _unauthenticated(detail: str) -> _Refused:
    return _Refused(401, "unauthenticated", "Unauthenticated", detail,
                    {"WWW-Authenticate": 'Bearer realm="zkredit"'})


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class AccessMiddleware:
    """Refuses a request its route's rule does not admit; lets the others through."""

    def __init__(self, app: ASGIApp, *, gate: Gatekeeper, router: Router) -> None:
        self.app = app
        self.gate = gate
        self.routes = RouteIndex(router)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, params = self.routes.match(scope)
        if route is None:  # the router answers 404 or 405
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # telemetry labels refusals by route too
        path = str(getattr(route, "path", ""))
        rule = rule_for(self.gate.agent, str(scope["method"]), path)
        try:
            if rule is None:
                raise _Refused(403, "forbidden", "Forbidden",
                               f"{scope['method']} {path} is not in the access table")
            if rule.public:
                await self.app(scope, receive, send)
                return
            receive = await self._admit(scope, receive, rule, params)
        except _Refused as refused:
            await refused.response(scope, receive, send)
            return
        await self.app(scope, receive, _no_store(send))

    async def _admit(self, scope: Scope, receive: Receive, rule: Rule,
                     params: dict[str, Any]) -> Receive:
        headers = _headers(scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("this route needs a bearer access token "
                                   "(POST /auth/token with a username and password)")
        try:
            principal = self.gate.keys.verify_access(token.strip())
        except TokenError as exc:
            raise _unauthenticated(exc.message) from None
        if not principal.has_any(rule.roles):
            raise _Refused(403, "forbidden", "Forbidden",
                           "this route needs one of the roles " + ", ".join(rule.shown_roles))
        scope.setdefault("state", {})["principal"] = principal
        if rule.owner is not None:
            resource = str(params.get(rule.owner.param, ""))
            owner = await anyio.to_thread.run_sync(
                self.gate.store.owner_of, self.gate.agent, rule.owner.kind, resource)
            if owner != principal.subject:  # someone else's, or nobody's: it does not exist
                raise _Refused(404, "not-found", "NotFound", f"no {rule.owner.kind} {resource!r}")
        if rule.confirm is not None:
            receive = await self._confirmed(scope, receive, rule, params, headers, principal)
        return receive

    async def _confirmed(self, scope: Scope, receive: Receive, rule: Rule,
                         params: dict[str, Any], headers: dict[str, str],
                         principal: Principal) -> Receive:
        confirm = rule.confirm
        assert confirm is not None
        token = headers.get(CONFIRM_HEADER, "").strip()
        if not token:
            raise _Refused(403, "confirmation-required", "ConfirmationRequired",
                           f"{confirm.action} moves money: confirm it first (POST /auth/confirm "
                           "with your password) and send the token in X-Confirmation-Token")
        try:
            granted = self.gate.keys.verify_confirmation(token)
        except TokenError as exc:
            raise _Refused(403, "confirmation-invalid", "ConfirmationInvalid",
                           exc.message) from None
        resource = str(params.get(confirm.param, ""))
        body, receive = await _buffer(receive) if confirm.body else (b"", receive)
        digest = ""
        if confirm.body:
            try:
                digest = body_digest(json.loads(body or b"null"))
            except ValueError:
                digest = "not-json"
        if (granted.subject != principal.subject or granted.action != confirm.action
                or granted.resource != resource or granted.digest != digest):
            raise _Refused(403, "confirmation-mismatch", "ConfirmationMismatch",
                           f"the confirmation is not for this {confirm.action} "
                           "(another action, resource or request body)")
        request_key = headers.get(IDEMPOTENCY_HEADER) or f"once:{uuid.uuid4().hex}"
        try:
            await anyio.to_thread.run_sync(self.gate.store.spend, granted, request_key)
        except ConfirmationSpent as exc:
            raise _Refused(403, "confirmation-spent", "ConfirmationSpent", exc.message) from None
        return receive


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (already bounded by the size limit) and replay it downstream."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _no_store(send: Send) -> Send:
    """Responses of authenticated routes carry personal data: no cache keeps them."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", ())
                       if k.lower() != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


# -- the /auth routes ----------------------------------------------------------------


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class ConfirmIn(BaseModel):
    password: str = Field(min_length=1, max_length=1024)
    action: str = Field(description="one of: " + ", ".join(sorted(CONFIRM_ACTIONS)))
    resource: str = Field(min_length=1, max_length=128,
                          description="the id the action is on (the loan, the identity)")
    details: dict[str, Any] | None = Field(
        default=None, description="for remittance.send: the exact request body to be sent")


def auth_router(gate: Callable[[Request], Gatekeeper]) -> APIRouter:
    router = APIRouter(prefix="/auth", tags=["auth"])

    def refused(exc: LoginFailed) -> JSONResponse:
        response = problem(401, "unauthenticated", "Unauthenticated", exc.message)
        response.headers["WWW-Authenticate"] = 'Bearer realm="zkredit"'
        return response

    @router.post("/token", summary="Log in: an access token and a refresh token")
    def token(body: LoginIn, request: Request) -> Response:
        try:
            pair = gate(request).store.login(body.username, body.password)
        except LoginFailed as exc:
            return refused(exc)
        return JSONResponse(pair.to_json(), headers={"Cache-Control": "no-store"})

    @router.post("/refresh", summary="Spend a refresh token for a new pair (rotation)")
    def refresh(body: RefreshIn, request: Request) -> Response:
        try:
            pair = gate(request).store.refresh(body.refresh_token)
        except LoginFailed as exc:
            return refused(exc)
        return JSONResponse(pair.to_json(), headers={"Cache-Control": "no-store"})

    @router.post("/logout", status_code=204, summary="Revoke a login's refresh tokens")
    def logout(body: RefreshIn, request: Request) -> Response:
        gate(request).store.logout(body.refresh_token)
        return Response(status_code=204)

    @router.post("/confirm", summary="Confirm one money-moving action (re-enter the password)")
    def confirm(body: ConfirmIn, request: Request) -> Response:
        principal = principal_of(request)
        assert principal is not None  # the middleware admitted an authenticated caller
        wanted = CONFIRM_ACTIONS.get(body.action)
        if wanted is None:
            return problem(422, "invalid-request", "Invalid request",
                           f"unknown action {body.action!r}; confirmable: "
                           + ", ".join(sorted(CONFIRM_ACTIONS)))
        if wanted.body and body.details is None:
            return problem(422, "invalid-request", "Invalid request",
                           f"{body.action} confirms one request: send it as details")
        digest = body_digest(body.details) if wanted.body else ""
        store = gate(request).store
        try:
            token = store.confirm(principal.subject, body.password, body.action,
                                  body.resource, digest)
        except LoginFailed as exc:
            return refused(exc)
        return JSONResponse({"confirmation_token": token, "action": body.action,
                             "resource": body.resource, "expires_in": store.confirm_ttl_s},
                            headers={"Cache-Control": "no-store"})

    @router.get("/me", summary="Who this access token belongs to")
    def me(request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        assert principal is not None
        return {"id": principal.subject, "username": principal.username,
                "roles": sorted(r.value for r in principal.roles)}

    return router


def has_role(principal: Principal | None, role: Role) -> bool:
    return principal is not None and role in principal.roles
