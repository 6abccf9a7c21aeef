"""The auth walk: every route of every agent, from its OpenAPI and the one role table.

The system runs as the demo runs it (every agent built by the composition root, on the
embedded chain). For each operation an agent publishes, the table must have a rule;
each non-public one answers 401 without a token, 401 with a forged one, and 403 to a
user holding none of its roles. Nothing here is written route by route: a route added
to an agent is walked as soon as it exists.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from zkredit.agents.common.access import ROUTES, Rule, rule_for
from zkredit.bootstrap import AGENTS
from zkredit.demo.system import LiveSystem
from zkredit.users.roles import ALL_ROLES, Role
from zkredit.users.tokens import TokenKeys

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

PASSWORD = "walk-test password of "


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSystem]:
    with LiveSystem(tmp_path_factory.mktemp("walk"), capture_bodies=False) as running:
        store = running.hosts["worker"].app.state.access.store
        for role in Role:
            store.add_user(f"walk-{role.value}", PASSWORD + role.value, frozenset({role}))
        for n in (1, 2):
            store.add_user(f"walk-worker-{n}", PASSWORD + str(n), frozenset({Role.WORKER}))
        yield running


def base(system: LiveSystem, agent: str) -> str:
    return f"http://127.0.0.1:{system.ports[agent]}"


def token(system: LiveSystem, username: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{base(system, 'worker')}/auth/token",
                   json={"username": username, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def role_token(system: LiveSystem, role: Role) -> dict[str, str]:
    return token(system, f"walk-{role.value}", PASSWORD + role.value)


def operations(system: LiveSystem, agent: str) -> list[tuple[str, str]]:
    spec = httpx.get(f"{base(system, agent)}/openapi.json", timeout=30).json()
    return [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops]


def filled(path: str) -> str:
    """The path with a made-up value for each parameter (nobody owns it)."""
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + f"walk-{uuid.uuid4().hex[:8]}" + out[end + 1:]
    return out


def test_every_published_operation_has_a_rule_and_every_rule_a_route(system: LiveSystem
                                                                        ) -> None:
    published: set[tuple[str, str, str]] = set()
    missing = []
    for agent in AGENTS:
        for method, path in operations(system, agent):
            published.add((agent, method, path))
            if rule_for(agent, method, path) is None:
                missing.append(f"{agent} {method} {path}")
    assert not missing, f"routes missing from access.ROUTES: {missing}"
    hidden = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
    stale = [k for k in ROUTES if k[2] not in hidden and not any(
        (a, k[1], k[2]) in published for a in (AGENTS if k[0] == "*" else (k[0],)))]
    assert not stale, f"rules naming no route: {stale}"


def test_openapi_shows_each_operations_roles(system: LiveSystem) -> None:
    for agent in AGENTS:
        spec = httpx.get(f"{base(system, agent)}/openapi.json", timeout=30).json()
        assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                rule = rule_for(agent, method.upper(), path)
                assert rule is not None
                assert op["x-required-roles"] == rule.shown_roles, (agent, method, path)
                assert ("security" in op) is (not rule.public), (agent, method, path)


def _walk(system: LiveSystem) -> Iterator[tuple[str, str, str, Rule]]:
    for agent in AGENTS:
        for method, path in operations(system, agent):
            rule = rule_for(agent, method, path)
            assert rule is not None
            if not rule.public:
                yield agent, method, path, rule


def test_every_non_public_route_refuses_no_token_a_forged_token_and_a_wrong_role(
    system: LiveSystem,
) -> None:
    forged = TokenKeys.development("not the deployment's secret").issue_access(
        "someone", "someone", ALL_ROLES, 600)
    tokens = {role: role_token(system, role) for role in Role}
    walked = 0
    with httpx.Client(timeout=30) as http:
        for agent, method, path, rule in _walk(system):
            url = base(system, agent) + filled(path)
            none = http.request(method, url)
            assert none.status_code == 401, (agent, method, path, none.text)
            assert none.headers["WWW-Authenticate"].startswith("Bearer")
            assert none.headers["content-type"] == "application/problem+json"
            bad = http.request(method, url, headers={"Authorization": f"Bearer {forged}"})
            assert bad.status_code == 401, (agent, method, path, bad.text)
            for role in ALL_ROLES - rule.roles:
                wrong = http.request(method, url, headers=tokens[role])
                assert wrong.status_code == 403, (agent, method, path, role, wrong.text)
            walked += 1
    assert walked >= 20  # the four agents' non-public routes (a floor, not a count)


def _as(system: LiveSystem, n: int) -> dict[str, str]:
    return token(system, f"walk-worker-{n}", PASSWORD + str(n))


def _confirm(http: httpx.Client, headers: dict[str, str], n: int, action: str, resource: str,
             details: dict[str, Any] | None = None) -> dict[str, str]:
    r = http.post("/auth/confirm", headers=headers, json={
        "password": PASSWORD + str(n), "action": action, "resource": resource,
        "details": details})
    assert r.status_code == 200, r.text
    return {"X-Confirmation-Token": r.json()["confirmation_token"]}


REMITTANCE = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
              "receive_amount_minor": 100_000,
              "recipient": {"name": "Juan Rodriguez", "account": "1234567890",
                            "bank": "Banco de Oro", "country": "PH"},
              "purpose": "education"}
LOAN = {"lender": "credit", "amount_minor": 2_500_000_00, "currency": "NGN", "months": 24,
        "payout": {"route": "bank_transfer",
                   "recipient": {"name": "Samuel Adewale", "account": "0123456789",
                                 "bank": "Zenith Bank", "country": "NG"}}}


def test_a_worker_sees_only_their_own_identities_loans_and_remittances(system: LiveSystem
                                                                        ) -> None:
    one, two = _as(system, 1), _as(system, 2)
    with httpx.Client(base_url=base(system, "worker"), timeout=60) as http:
        ident = http.post("/identities", json={"label": "one"}, headers=one).json()
        iid = ident["identity_id"]
        loan = http.post(f"/identities/{iid}/loans", json=LOAN,
                         headers={**one, "Idempotency-Key": uuid.uuid4().hex})
        assert loan.status_code == 202, loan.text
        app_id = loan.json()["id"]
        key = uuid.uuid4().hex
        consent = _confirm(http, one, 1, "remittance.send", iid, REMITTANCE)
        rem = http.post(f"/identities/{iid}/remittances", json=REMITTANCE,
                        headers={**one, **consent, "Idempotency-Key": key})
        assert rem.status_code == 202, rem.text
        rem_id = rem.json()["id"]

        assert http.get(f"/loans/{app_id}", headers=one).status_code == 200
        assert http.get(f"/remittances/{rem_id}", headers=one).status_code == 200
        assert http.get("/identities", headers=one).json()["identities"] == [iid]
        # another worker: nothing of worker one's exists
        for method, path in (("GET", f"/loans/{app_id}"), ("GET", f"/remittances/{rem_id}"),
                             ("POST", f"/identities/{iid}/credentials"),
                             ("POST", f"/identities/{iid}/kyc-membership"),
                             ("POST", f"/identities/{iid}/loans"),
                             ("POST", f"/loans/{app_id}/accept"),
                             ("POST", f"/identities/{iid}/remittances")):
            r = http.request(method, path, headers={**two, "Idempotency-Key": "k"}, json={})
            assert r.status_code == 404, (method, path, r.text)
        assert http.get("/identities", headers=two).json()["identities"] == []


def test_money_moves_only_with_a_confirmation_for_exactly_that_request(system: LiveSystem
                                                                        ) -> None:
    one, two = _as(system, 1), _as(system, 2)
    with httpx.Client(base_url=base(system, "worker"), timeout=60) as http:
        iid = http.post("/identities", json={"label": "c"}, headers=one).json()["identity_id"]
        url = f"/identities/{iid}/remittances"

        def send(extra: dict[str, str], body: dict[str, Any] = REMITTANCE,
                 key: str | None = None) -> httpx.Response:
            return http.post(url, json=body, headers={
                **one, **extra, "Idempotency-Key": key or uuid.uuid4().hex})

        assert send({}).json()["type"].endswith("/confirmation-required")
        consent = _confirm(http, one, 1, "remittance.send", iid, REMITTANCE)
        larger = {**REMITTANCE, "receive_amount_minor": 9_900_000}
        assert send(consent, larger).json()["type"].endswith("/confirmation-mismatch")
        key = uuid.uuid4().hex
        assert send(consent, key=key).status_code == 202
        assert send(consent, key=key).status_code == 202  # a retry of the same request
        assert send(consent).json()["type"].endswith("/confirmation-spent")
        # another user's confirmation, or one for another action, is not this one's
        other = http.post("/identities", json={"label": "x"}, headers=two).json()
        theirs = _confirm(http, two, 2, "remittance.send", other["identity_id"], REMITTANCE)
        assert send(theirs).status_code == 403
        wrong_password = http.post("/auth/confirm", headers=one, json={
            "password": "not it at all", "action": "remittance.send", "resource": iid,
            "details": REMITTANCE})
        assert wrong_password.status_code == 401
        loan = http.post(f"/identities/{iid}/loans", json=LOAN,
                         headers={**one, "Idempotency-Key": uuid.uuid4().hex}).json()
        accept = http.post(f"/loans/{loan['id']}/accept", headers=one)
        assert accept.status_code == 403
        assert accept.json()["type"].endswith("/confirmation-required")


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_login(system: LiveSystem) -> None:
    with httpx.Client(base_url=base(system, "credit"), timeout=30) as http:
        first = http.post("/auth/token", json={"username": "walk-lender",
                                               "password": PASSWORD + "lender"}).json()
        second = http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert second.status_code == 200
        assert second.json()["refresh_token"] != first["refresh_token"]
        again = http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert again.status_code == 401  # the stolen copy is refused ...
        later = http.post("/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
        assert later.status_code == 401  # ... and the whole login with it
        me = http.get("/auth/me", headers={"Authorization": "Bearer "
                                           + second.json()["access_token"]})
        assert me.json()["roles"] == ["lender"]
        assert me.headers["cache-control"] == "no-store"


def test_a_disabled_user_cannot_log_in_or_refresh(system: LiveSystem) -> None:
    store = system.hosts["credit"].app.state.access.store
    store.add_user("walk-leaver", PASSWORD + "leaver", frozenset({Role.LENDER}))
    with httpx.Client(base_url=base(system, "credit"), timeout=30) as http:
        pair = http.post("/auth/token", json={"username": "walk-leaver",
                                              "password": PASSWORD + "leaver"}).json()
        store.disable("walk-leaver")
        assert http.post("/auth/token", json={"username": "walk-leaver",
                                              "password": PASSWORD + "leaver"}
                         ).status_code == 401
        assert http.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}
                         ).status_code == 401


def test_docs_are_served_outside_production_only(system: LiveSystem, tmp_path: Path) -> None:
    assert httpx.get(f"{base(system, 'credit')}/docs", timeout=10).status_code == 200


def test_webhooks_belong_to_their_creator_and_their_secrets_are_sealed(system: LiveSystem
                                                                       ) -> None:
    from sqlalchemy import select

    from zkredit.agents.remittance.models import WebhookRow

    store = system.hosts["remittance"].app.state.access.store
    store.add_user("walk-integrator-2", PASSWORD + "i2", frozenset({Role.AGENT}))
    operator, agent = role_token(system, Role.OPERATOR), role_token(system, Role.AGENT)
    other = token(system, "walk-integrator-2", PASSWORD + "i2")
    secret = "a webhook secret of thirty-two c"
    with httpx.Client(base_url=base(system, "remittance"), timeout=30) as http:
        everything = http.post("/webhooks", headers=agent,
                               json={"url": "http://127.0.0.1:9/sink", "secret": secret})
        assert everything.status_code == 403  # every transfer: operators only
        mine = http.post("/webhooks", headers=agent, json={
            "url": "http://127.0.0.1:9/sink", "secret": secret, "transfer_id": "tr_x"})
        assert mine.status_code == 201, mine.text
        hook = mine.json()["id"]
        assert [h["id"] for h in http.get("/webhooks", headers=agent).json()] == [hook]
        assert http.get("/webhooks", headers=other).json() == []
        assert http.post(f"/webhooks/{hook}/secret", headers=other).status_code == 404
        assert http.delete(f"/webhooks/{hook}", headers=operator).status_code == 404
        rotated = http.post(f"/webhooks/{hook}/secret", headers=agent).json()["secret"]
        with system.runtimes["remittance"].db.session() as s:
            stored = s.scalar(select(WebhookRow.secret).where(WebhookRow.id == hook))
        assert stored is not None and stored.startswith("zkv1:")
        assert rotated not in stored and secret not in stored
        assert http.delete(f"/webhooks/{hook}", headers=agent).status_code == 204
        assert http.get("/webhooks", headers=agent).json() == []


def test_an_operator_lists_and_retries_an_agents_dead_jobs_through_its_api(system: LiveSystem
                                                                          ) -> None:
    from sqlalchemy import select

    from zkredit.jobs import JobState, PermanentJobError
    from zkredit.store.models import AuditRow

    runtime = system.runtimes["credit"]
    broken = {"now": True}

    def flaky(payload: dict[str, Any]) -> None:
        if broken["now"]:
            raise PermanentJobError("the bureau answered 502: bad gateway")

    runtime.jobs.register("walk.flaky", flaky, max_attempts=1)
    job_id = runtime.jobs.enqueue("walk.flaky", {"n": 1})
    assert runtime.jobs.wait(job_id, 10).state is JobState.DEAD
    operator = role_token(system, Role.OPERATOR)
    with httpx.Client(base_url=base(system, "credit"), timeout=30) as http:
        listed = http.get("/jobs/dead", headers=operator).json()
        assert listed["party"] == "credit"
        mine = [j for j in listed["jobs"] if j["id"] == str(job_id)]
        assert len(mine) == 1 and mine[0]["kind"] == "walk.flaky"
        assert mine[0]["attempts"] == 1 and "502: bad gateway" in mine[0]["last_error"]
        assert http.get("/jobs/dead", headers=operator,
                        params={"limit": 10_000}).status_code == 422
        unknown = http.post("/jobs/job_nope/retry", headers=operator)
        assert unknown.status_code == 404, unknown.text
        assert unknown.headers["content-type"] == "application/problem+json"
        broken["now"] = False
        retried = http.post(f"/jobs/{job_id}/retry", headers=operator)
        assert retried.status_code == 200, retried.text
        assert retried.json()["id"] == str(job_id)
        assert runtime.jobs.wait(job_id, 10).state is JobState.DONE
        again = http.post(f"/jobs/{job_id}/retry", headers=operator)
        assert again.status_code == 409, again.text  # a job that ran is not dead
        assert str(job_id) not in {j["id"] for j in
                                   http.get("/jobs/dead", headers=operator).json()["jobs"]}
    with runtime.db.session() as s:
        audited = [json.loads(r.payload) for r in s.scalars(
            select(AuditRow).where(AuditRow.kind == "jobs.retried"))]
    assert any(p.get("job_id") == str(job_id) and p.get("by") for p in audited)
