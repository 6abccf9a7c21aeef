"""One handler mapping the ZKredit error hierarchy to HTTP problem+json (RFC 9457).

A 4xx body carries the error's message: it is about the caller's own request and
tells them what to change. A 500 body says only ``internal error`` and a
correlation id: the exception text (which may hold SQL, bound parameters or row
contents) goes to the server log under that id, never to the caller.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError as UniqueViolation

from zkredit import errors
from zkredit.agents.common.envelope import EnvelopeError

PROBLEM = "application/problem+json"
CORRELATION_HEADER = "X-Correlation-ID"
INTERNAL_DETAIL = "internal error"
log = logging.getLogger("zkredit.http")

# Most specific first; the first match wins.
STATUS: list[tuple[type[Exception], int, str]] = [
    (EnvelopeError, 401, "unauthenticated-message"),
    (errors.VerificationFailed, 422, "invalid-proof"),
    (errors.StatementFalse, 422, "statement-false"),
    (errors.UntrustedIssuerError, 422, "untrusted-issuer"),
    (errors.SignatureError, 422, "bad-signature"),
    (errors.ArtifactError, 503, "proving-disabled"),
    (errors.ConfigurationError, 503, "misconfigured"),
    (errors.InputError, 400, "bad-input"),
    (errors.UnknownCircuitError, 404, "unknown-circuit"),
    (errors.ZKreditError, 500, "internal"),
]


DEPENDENCY_RETRY_AFTER_S = 2


def is_dependency_outage(exc: BaseException) -> bool:
    """A lost database or Redis connection: the request may succeed when retried."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError | RedisConnectionError | RedisTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def dependency_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with ``Retry-After``: the agent is fine, a service it needs is not (yet). The
    cause is logged under a correlation id; the body names no host, SQL or parameter."""
    correlation = uuid.uuid4().hex
    log.warning("dependency unavailable on %s %s [%s]: %s", request.method, request.url.path,
                correlation, type(exc).__name__)
    response = problem(503, "dependency-unavailable", "Service unavailable",
                       "a database or queue this agent needs is unreachable; retry shortly",
                       correlation_id=correlation)
    response.headers["Retry-After"] = str(DEPENDENCY_RETRY_AFTER_S)
    response.headers[CORRELATION_HEADER] = correlation
    return response


def problem(
    status: int, slug: str, title: str, detail: str | None = None, **extra: object
) -> JSONResponse:
    body: dict[str, object] = {
        "type": f"https://zkredit.dev/problems/{slug}",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def status_for(exc: Exception) -> tuple[int, str]:
    for kind, status, slug in STATUS:
        if isinstance(exc, kind):
            return status, slug
    return 500, "internal"


def internal_error(request: Request, exc: BaseException) -> JSONResponse:
    """Log ``exc`` under a fresh correlation id; answer with that id and nothing else."""
    correlation = uuid.uuid4().hex
    log.error(
        "internal error %s on %s %s", correlation, request.method, request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"fields": {"correlation_id": correlation}},
    )
    response = problem(500, "internal", "Internal error", INTERNAL_DETAIL,
                       correlation_id=correlation)
    response.headers[CORRELATION_HEADER] = correlation
    return response


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""

    async def on_zkredit(request: Request, exc: Exception) -> JSONResponse:
        status, slug = status_for(exc)
        message = exc.message if isinstance(exc, errors.ZKreditError) else str(exc)
        conflict = getattr(exc, "http_status", None)
        if isinstance(conflict, int):
            status = conflict
            slug = {401: "unauthenticated", 403: "forbidden", 404: "not-found",
                    409: "conflict", 422: "invalid-request", 503: "unavailable"}.get(status, slug)
        if status == 500:
            return internal_error(request, exc)
        response = problem(status, slug, type(exc).__name__, message)
        retry = getattr(exc, "retry_after_s", None)
        if status == 503 and isinstance(retry, int):
            response.headers["Retry-After"] = str(retry)
        return response

    async def on_unique_violation(request: Request, exc: Exception) -> JSONResponse:
        # A unique constraint that stops a concurrent duplicate: the caller may retry
        # and will then see the row the other request created. The SQL stays here.
        log.info("unique constraint on %s %s: %s", request.method, request.url.path,
                 type(getattr(exc, "orig", exc)).__name__)
        return problem(409, "conflict", "Conflict",
                       "a concurrent request created or changed the same record; retry")

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return problem(
            422, "invalid-request", "Invalid request", f"{where}: {first.get('msg', 'invalid')}"
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_dependency_outage(exc):
            return dependency_unavailable(request, exc)
        return internal_error(request, exc)

    app.add_exception_handler(errors.ZKreditError, on_zkredit)
    app.add_exception_handler(UniqueViolation, on_unique_violation)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(RequestValidationError, on_validation)
