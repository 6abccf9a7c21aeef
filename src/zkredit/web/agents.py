"""The dashboard's calls to the agents: the caller's token, and errors a person can act on."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx

from zkredit.errors import ZKreditError

TIMEOUT_S = 15.0


class AgentError(ZKreditError):
    """Raised when an agent refuses a request or cannot be reached; ``message`` says why
    in words the person using the page can act on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _explain(agent: str, r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        body = {}
    detail = ""
    if isinstance(body, dict):
        raw = body.get("detail") or body.get("title") or ""
        if isinstance(raw, list):  # FastAPI validation errors
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg', '')}"
                for e in raw if isinstance(e, dict))
        else:
            detail = str(raw)
    if r.status_code == 401:
        return "Your session has ended. Log in again."
    if r.status_code == 403:
        return f"Not allowed: {detail}" if detail else "Your role may not do this."
    if r.status_code == 404:
        return "Not found."
    if r.status_code == 429:
        return "Too many requests: wait a minute and try again."
    if r.status_code >= 500:
        return f"The {agent} service had a problem. Try again in a moment."
    return detail or f"The {agent} service refused the request ({r.status_code})."


class Agents:
    """HTTP to the agents, as the logged-in person (their bearer access token)."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.http = httpx.AsyncClient(timeout=TIMEOUT_S)

    async def call(self, agent: str, method: str, path: str, *, token: str | None = None,
                   json: Any = None, params: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None,
                   timeout: float | None = None) -> Any:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        try:
            r = await self.http.request(method, self.urls[agent] + path, json=json,
                                        params=params, headers=h,
                                        timeout=timeout or TIMEOUT_S)
        except httpx.HTTPError:
            raise AgentError(503, f"The {agent} service cannot be reached right now. "
                                  "Try again in a moment.") from None
        if r.status_code >= 400:
            raise AgentError(r.status_code, _explain(agent, r))
        return r.json() if r.content else None

    async def text(self, agent: str, path: str, timeout: float = 2.0) -> str | None:
        try:
            r = await self.http.get(self.urls[agent] + path, timeout=timeout)
        except httpx.HTTPError:
            return None
        return r.text if r.status_code < 500 else None

    async def json_any(self, agent: str, path: str, timeout: float = 2.0) -> Any:
        """A public JSON document, whatever its status (health answers 503 with a body)."""
        try:
            r = await self.http.get(self.urls[agent] + path, timeout=timeout)
            return r.json()
        except (httpx.HTTPError, ValueError):
            return None


class AgentLogin:
    """:class:`~zkredit.web.session.Authenticator` over the agents' ``/auth`` routes: the
    first agent that answers checks the password (they share one access store)."""

    def __init__(self, agents: Agents, keys: Any) -> None:
        self.agents = agents
        self.keys = keys

    async def _first(self, path: str, body: dict[str, Any]) -> Any:
        last: AgentError | None = None
        for name in ("worker", "credit", "remittance", "receiver"):
            try:
                return await self.agents.call(name, "POST", path, json=body)
            except AgentError as exc:
                if exc.status < 500:
                    raise
                last = exc
        raise last or AgentError(503, "No service can check logins right now.")

    async def login(self, username: str, password: str) -> Any:
        from zkredit.web.session import LoginRefused, Tokens

        try:
            data = await self._first("/auth/token", {"username": username,
                                                     "password": password})
        except AgentError as exc:
            if exc.status in (400, 401, 403, 422):
                raise LoginRefused("Wrong username or password.") from None
            raise LoginRefused(exc.message) from None
        return Tokens(data["access_token"], data["refresh_token"])

    async def refresh(self, refresh: str) -> Any:
        from zkredit.web.session import Tokens

        data = await self._first("/auth/refresh", {"refresh_token": refresh})
        return Tokens(data["access_token"], data["refresh_token"])

    async def logout(self, refresh: str) -> None:
        with contextlib.suppress(AgentError):
            await self._first("/auth/logout", {"refresh_token": refresh})

    def verify(self, access: str) -> Any:
        from zkredit.web.session import User

        p = self.keys.verify_access(access)
        return User(p.subject, p.username, p.roles)
