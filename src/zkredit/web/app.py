"""The dashboard app: mounted on the gateway by :func:`mount`.

Pages are server-rendered (Jinja2); a small script (``static/app.js``) refreshes the live
parts (quotes, proving progress, transfer status, health) by fetching HTML fragments.
Every page runs through :meth:`Web.page`, which turns a missing login into a redirect to
the login page, a refusal into a page saying what to do, and never shows a traceback.
"""

from __future__ import annotations

import functools
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from zkredit.settings import Settings
from zkredit.users.roles import Role
from zkredit.web.agents import AgentError, AgentLogin, Agents
from zkredit.web.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Authenticator,
    CookieSigner,
    Session,
    Tokens,
    csrf_ok,
)

HERE = Path(__file__).parent
log = logging.getLogger("zkredit.web")
Handler = Callable[..., Awaitable[Response]]
PAGE_HEADERS = {
    "Cache-Control": "no-store",  # pages carry personal data
    # Scripts and styles only from /static (inline style attributes size the charts).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass
class WebConfig:
    """What the dashboard needs: the settings and where each agent is reached.

    ``authenticator`` is the login seam (default: the agents' ``/auth`` routes)."""

    settings: Settings
    urls: dict[str, str]
    authenticator: Authenticator | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class NeedLogin(Exception):
    """The page needs a logged-in person (or their session has ended)."""


class PageError(Exception):
    """A page cannot be shown: ``message`` says what the person can do about it."""

    def __init__(self, status: int, message: str, title: str = "") -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.title = title or {403: "Not allowed", 404: "Not found",
                               400: "Check your input"}.get(status, "Something went wrong")


class Web:
    """The dashboard's shared machinery: templates, sessions, CSRF, agent calls."""

    def __init__(self, cfg: WebConfig) -> None:
        from zkredit.users.tokens import TokenKeys

        self.cfg = cfg
        self.settings = cfg.settings
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.filters["money"] = money
        self.templates.env.filters["amount"] = lambda v: money(v).partition(" ")[2]
        self.templates.env.globals["role"] = Role
        self.agents = Agents(cfg.urls)
        self.auth: Authenticator = cfg.authenticator or AgentLogin(
            self.agents, TokenKeys.from_settings(cfg.settings))
        self.signer = CookieSigner(cfg.settings.security.jwt_secret)
        self._access_store: Any = None
        from zkredit.web.parties import Parties

        self.parties = Parties(cfg.settings, cfg.extra.get("schema_prefix"))

    # -- sessions -----------------------------------------------------------------

    def secure(self, request: Request) -> bool:
        s = self.settings.security
        return (s.tls_enabled or s.tls_proxy or request.url.scheme == "https"
                or request.headers.get("x-forwarded-proto") == "https")

    async def session(self, request: Request) -> Session | None:
        cached = getattr(request.state, "web_session", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        raw = self.signer.load(request.cookies.get(SESSION_COOKIE))
        if raw is None:
            return None
        tokens = Tokens(str(raw.get("a", "")), str(raw.get("r", "")))
        refreshed = False
        try:
            user = self.auth.verify(tokens.access)
        except Exception:  # expired or revoked: one refresh, else log in again
            try:
                tokens = await self.auth.refresh(tokens.refresh)
                user = self.auth.verify(tokens.access)
            except Exception:
                return None
            refreshed = True
        session = Session(tokens, str(raw.get("c", "")), user, refreshed)
        request.state.web_session = session
        return session

    def set_session(self, request: Request, response: Response, session: Session) -> None:
        value = self.signer.dump({"a": session.tokens.access, "r": session.tokens.refresh,
                                  "c": session.csrf})
        response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="strict",
                            secure=self.secure(request), path="/",
                            max_age=self.settings.security.refresh_token_ttl_s)

    async def require(self, request: Request, *roles: Role) -> Session:
        session = await self.session(request)
        if session is None:
            raise NeedLogin()
        if roles and not session.user.has(*roles):
            raise PageError(403, "This page is for the roles "
                            + ", ".join(r.value for r in roles) + ". You are logged in as "
                            + session.user.username + ".")
        return session

    async def form(self, request: Request, session: Session | None) -> dict[str, str]:
        """The posted form, after its CSRF token is checked against the session's."""
        body = (await request.body()).decode("utf-8", "replace")
        data = {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        expected = session.csrf if session else request.cookies.get(LOGIN_COOKIE)
        if not csrf_ok(expected, data.get("csrf")):
            raise PageError(403, "This form has expired or did not come from this site. "
                            "Reload the page and try again.", "Form expired")
        return data

    def access_store(self) -> Any:
        """The deployment's access store (who owns which loan and transfer), if reachable."""
        if self._access_store is None:
            from zkredit.bootstrap import build_access_store

            self._access_store = build_access_store(self.settings,
                                                    self.cfg.extra.get("schema_prefix"))
        return self._access_store

    # -- rendering ----------------------------------------------------------------

    def render(self, request: Request, name: str, context: dict[str, Any] | None = None,
               *, status: int = 200) -> Response:
        session: Session | None = getattr(request.state, "web_session", None)
        ctx = {"user": session.user if session else None,
               "csrf": session.csrf if session else "", **(context or {})}
        response = self.templates.TemplateResponse(request, name, ctx, status_code=status)
        response.headers.update(PAGE_HEADERS)
        if self.secure(request):
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if session is not None and session.refreshed:
            self.set_session(request, response, session)
        return response

    def page(self, fn: Handler) -> Handler:
        """Runs a page handler; errors become pages a person can act on."""

        @functools.wraps(fn)
        async def run(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                return await fn(request, *args, **kwargs)
            except NeedLogin:
                target = urllib.parse.quote(request.url.path)
                if request.headers.get("x-fragment"):
                    return Response(status_code=401, headers={"X-Login": f"/login?next={target}"})
                return RedirectResponse(f"/login?next={target}", status_code=303)
            except PageError as exc:
                return self.error(request, exc.status, exc.title, exc.message)
            except AgentError as exc:
                if exc.status == 401:
                    return RedirectResponse("/login", status_code=303)
                status = exc.status if exc.status in (400, 403, 404, 409, 422, 429) else 502
                return self.error(request, status, "Could not complete this", exc.message)
            except Exception:
                log.exception("page %s failed", request.url.path)
                return self.error(request, 500, "Something went wrong",
                                  "The page could not be shown. Try again; if it keeps "
                                  "happening, tell the operator the time it happened.")

        return run

    def error(self, request: Request, status: int, title: str, message: str) -> Response:
        name = "_error.html" if request.headers.get("x-fragment") else "error.html"
        return self.render(request, name, {"title": title, "message": message},
                           status=status)


def money(value: Any) -> str:
    """``{"amount_minor": 150000, "currency": "PHP"}`` -> ``PHP 1,500.00``."""
    from zkredit.domain.money import currency

    if not isinstance(value, dict) or "amount_minor" not in value:
        return "—"
    code = str(value.get("currency", ""))
    try:
        exp = currency(code).exponent
    except Exception:
        exp = 2
    minor = int(value["amount_minor"])
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{code} {sign}{whole:,}" + (f".{frac:0{exp}d}" if exp else "")


def mount(app: FastAPI, cfg: WebConfig) -> Web:
    """Serve the dashboard from ``app`` (the gateway)."""
    from zkredit.web import operator, pages_auth, staff, worker

    web = Web(cfg)
    app.state.web = web
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (pages_auth, worker, staff, operator):
        app.include_router(module.router(web, app))
    return web


def redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def html_fragment(content: str) -> HTMLResponse:
    return HTMLResponse(content, headers={"Cache-Control": "no-store"})
