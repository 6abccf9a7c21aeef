"""Puts access control and request hygiene on an agent's app, once, from the settings.

:func:`secure_agent_app` is called by the composition root for every agent it builds:
the ``/auth`` routes, the role table enforced by :class:`~.auth.AccessMiddleware`, rate
limits, the Host allowlist, the body-size limit, CORS, security headers, the roles in
the OpenAPI, and no API docs in production. The middlewares sit inside the telemetry
middleware, so refusals (401, 403, 413, 429) are counted like any other answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from zkredit.agents.common.access import DOC_PATHS, rule_for
from zkredit.agents.common.auth import (
    CONFIRM_HEADER,
    AccessMiddleware,
    Gatekeeper,
    auth_router,
)
from zkredit.agents.common.hygiene import HygieneMiddleware, allowed_hosts
from zkredit.agents.common.limits import RateLimiter, RateLimitMiddleware, build_limiter
from zkredit.users.store import AccessStore


def secure_agent_app(app: FastAPI, agent: str, settings: Any, store: AccessStore, *,
                     limiter: RateLimiter | None = None,
                     namespace: str | None = None) -> Gatekeeper:
    gate = Gatekeeper(agent, store.keys, store)
    app.state.access = gate
    app.include_router(auth_router(lambda request: request.app.state.access))
    if settings.is_production:
        _without_docs(app)
    origins = [o.strip() for o in settings.security.cors_origins.split(",") if o.strip()]
    tls = bool(settings.security.tls_enabled or settings.security.tls_proxy)
    app.user_middleware.extend([
        Middleware(HygieneMiddleware, hosts=allowed_hosts(settings),
                   max_body_bytes=settings.security.max_body_bytes, hsts=tls),
        Middleware(CORSMiddleware, allow_origins=origins, allow_credentials=False,
                   allow_methods=["GET", "POST", "DELETE"],
                   allow_headers=["Authorization", "Content-Type", "Idempotency-Key",
                                  CONFIRM_HEADER]),
        Middleware(RateLimitMiddleware,
                   limiter=limiter or build_limiter(settings, agent, namespace), agent=agent,
                   router=app.router, trust_proxy=bool(settings.security.tls_proxy)),
        Middleware(AccessMiddleware, gate=gate, router=app.router),
    ])
    app.openapi = lambda: _openapi(app, agent)  # type: ignore[method-assign]
    return gate


def _without_docs(app: FastAPI) -> None:
    app.router.routes[:] = [r for r in app.router.routes
                            if getattr(r, "path", None) not in DOC_PATHS]
    app.docs_url = app.redoc_url = app.openapi_url = None


def _openapi(app: FastAPI, agent: str) -> dict[str, Any]:
    """The app's OpenAPI with each operation's roles, bearer security and refusals."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An access token from POST /auth/token."}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            rule = rule_for(agent, method.upper(), path)
            operation["x-required-roles"] = rule.shown_roles if rule else []
            if rule is None or rule.public:
                continue
            operation["security"] = [{"bearer": []}]
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {"description": "no access token, or not a valid one"})
            responses.setdefault("403", {"description": "the token has none of the roles "
                                         + ", ".join(rule.shown_roles)})
            if rule.owner is not None:
                responses.setdefault("404", {"description": f"no such {rule.owner.kind} "
                                             "of the caller's"})
            if rule.confirm is not None:
                operation["x-confirmation"] = rule.confirm.action
                operation.setdefault("parameters", []).append({
                    "name": "X-Confirmation-Token", "in": "header", "required": True,
                    "schema": {"type": "string"},
                    "description": f"a single-use token from POST /auth/confirm for "
                                   f"{rule.confirm.action}"})
    app.openapi_schema = schema
    return schema
