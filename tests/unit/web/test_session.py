"""The dashboard's login seam, session cookie and CSRF checks, without a browser: a fake
authenticator stands in for the agents' ``/auth`` routes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from zkredit.agents.gateway.app import create_app
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.settings import load_settings
from zkredit.users.roles import Role
from zkredit.web.app import WebConfig, mount
from zkredit.web.forms import FormErrors, check_amount, check_currency
from zkredit.web.session import CookieSigner, LoginRefused, Tokens, User


class FakeLogin:
    async def login(self, username: str, password: str) -> Tokens:
        if password != "right":
            raise LoginRefused("Wrong username or password.")
        return Tokens(f"access-{username}", "refresh")

    async def refresh(self, refresh: str) -> Tokens:
        raise LoginRefused("expired")

    async def logout(self, refresh: str) -> None:
        return None

    def verify(self, access: str) -> User:
        if not access.startswith("access-"):
            raise LoginRefused("bad token")
        return User("s1", access.removeprefix("access-"), frozenset({Role.OPERATOR}))


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    settings = load_settings(check=False)
    cfg = WebConfig(settings, {}, authenticator=FakeLogin())
    app = create_app(lambda: {}, probe_interval_s=60, web=lambda a: mount(a, cfg))
    port = free_port()
    server = ThreadedServer(app, port).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            yield c
    finally:
        server.stop()
        app.state.prober.stop()


def _login_csrf(client: httpx.Client) -> str:
    page = client.get("/login")
    assert "httponly" in page.headers["set-cookie"].lower()
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def test_login_sets_a_strict_httponly_signed_session(client: httpx.Client) -> None:
    token = _login_csrf(client)
    r = client.post("/login", data={"csrf": token, "username": "otto", "password": "right"},
                    )
    assert r.status_code == 303 and r.headers["location"] == "/operator"
    cookie = r.headers["set-cookie"].lower()
    assert "zk_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback; Secure behind TLS


def test_wrong_password_and_foreign_form_are_refused(client: httpx.Client) -> None:
    token = _login_csrf(client)
    wrong = client.post("/login", data={"csrf": token, "username": "otto", "password": "no"})
    assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
    forged = client.post("/login", data={"csrf": "forged", "username": "otto",
                                          "password": "right"})
    assert forged.status_code == 403 and "zk_session" not in forged.headers.get("set-cookie", "")


def test_every_form_needs_the_sessions_csrf_token(client: httpx.Client) -> None:
    token = _login_csrf(client)
    client.post("/login", data={"csrf": token, "username": "otto", "password": "right"})
    r = client.post("/logout", data={"csrf": "not-the-session-token"})
    assert r.status_code == 403 and "Traceback" not in r.text


def test_pages_need_a_login_and_the_role(client: httpx.Client) -> None:
    r = client.get("/worker")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    token = _login_csrf(client)
    client.post("/login", data={"csrf": token, "username": "otto", "password": "right"})
    page = client.get("/worker/send")
    assert page.status_code == 403 and "roles worker" in page.text


@pytest.mark.parametrize("tamper", [
    lambda c: c.replace(c[2], "A" if c[2] != "A" else "B", 1),  # body
    lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # mac
    lambda c: c.split(".")[0],  # no mac
    lambda c: "",
])
def test_a_tampered_session_cookie_is_no_session(tamper: object) -> None:
    signer = CookieSigner("secret")
    cookie = signer.dump({"a": "x", "r": "y", "c": "z"})
    assert signer.load(cookie) == {"a": "x", "r": "y", "c": "z"}
    assert signer.load(tamper(cookie)) is None  # type: ignore[operator]
    assert CookieSigner("another secret").load(cookie) is None


@pytest.mark.parametrize(("value", "error"), [
    ("-5", "more than zero"), ("0", "more than zero"), ("abc", "as a number"),
    ("1.234", "at most 2 decimal places"), ("NaN", "more than zero"),
])
def test_amounts(value: str, error: str) -> None:
    errors = FormErrors()
    assert check_amount(errors, "amount", value, "PHP") == 0
    assert error in errors["amount"]


def test_amounts_and_currencies_that_pass() -> None:
    errors = FormErrors()
    assert check_amount(errors, "amount", "15,000.50", "PHP") == 1_500_050
    assert check_currency(errors, "c", "php") == "PHP"
    assert not errors
    check_currency(errors, "c", "XYZ")
    check_currency(errors, "d", "12")
    assert "not a currency we support" in errors["c"] and "three-letter" in errors["d"]
