"""Log in and out; the home page sends each person to their role's page."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from zkredit.web.app import Web, redirect
from zkredit.web.session import LOGIN_COOKIE, SESSION_COOKIE, LoginRefused, Session, new_csrf


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else ""


def router(web: Web, app: FastAPI) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/")
    @web.page
    async def home(request: Request) -> Response:
        session = await web.session(request)
        if session is None:
            return redirect("/login")
        return redirect(session.user.home)

    def login_page(request: Request, *, error: str = "", username: str = "",
                   status: int = 200) -> Response:
        token = new_csrf()
        response = web.render(request, "login.html", {
            "login_csrf": token, "error": error, "username": username,
            "next": _safe_next(request.query_params.get("next"))}, status=status)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                            secure=web.secure(request), path="/login", max_age=1800)
        return response

    @r.get("/login")
    @web.page
    async def login_form(request: Request) -> Response:
        return login_page(request)

    @r.post("/login")
    @web.page
    async def login(request: Request) -> Response:
        form = await web.form(request, None)
        username = form.get("username", "").strip()
        if not username or not form.get("password"):
            return login_page(request, error="Enter your username and password.",
                              username=username, status=400)
        try:
            tokens = await web.auth.login(username, form["password"])
            user = web.auth.verify(tokens.access)
        except LoginRefused as exc:
            return login_page(request, error=exc.message, username=username, status=401)
        session = Session(tokens, new_csrf(), user)
        response = redirect(_safe_next(form.get("next")) or user.home)
        web.set_session(request, response, session)
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @r.post("/logout")
    @web.page
    async def logout(request: Request) -> Response:
        session = await web.session(request)
        if session is not None:
            await web.form(request, session)
            await web.auth.logout(session.tokens.refresh)
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return r
