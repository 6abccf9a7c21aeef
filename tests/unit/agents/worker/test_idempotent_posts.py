"""F12: the worker's money-moving POSTs are idempotent by the client's Idempotency-Key.

A client that retries ``POST .../remittances`` or ``POST .../loans`` after a
timeout, with the same key and body, gets the same id back, and nothing is sent
twice. The same key with another body is a 409; no key is a 400.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from zkredit.agents.common import problems
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.agents.worker import routes
from zkredit.agents.worker.models import LoanApplicationRow, RemittanceRow
from zkredit.agents.worker.service import WorkerService
from zkredit.store.models import JobRow

JUAN = {"name": "Juan Rodriguez", "account": "1234567890", "bank": "Banco de Oro",
        "country": "PH"}
REMITTANCE = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
              "receive_amount_minor": 1_500_000, "recipient": JUAN, "purpose": "education"}
LOAN = {"amount_minor": 250_000_000, "currency": "NGN", "months": 24,
        "payout": {"recipient": JUAN, "route": "bank_transfer"}}


@pytest.fixture
def server(worker_service: WorkerService) -> Iterator[ThreadedServer]:
    app = FastAPI()
    problems.install(app)
    app.include_router(routes.router)
    app.state.worker = worker_service
    running = ThreadedServer(app, free_port()).start()
    yield running
    running.stop()


@pytest.fixture
def identity(worker_service: WorkerService) -> str:
    return worker_service.create_identity("maria").id


def post(server: ThreadedServer, path: str, body: dict[str, Any],
         key: str | None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return httpx.post(f"{server.url}{path}", json=body, headers=headers, timeout=20)


def rows(service: WorkerService, model: type[Any]) -> int:
    with service.runtime.db.session() as s:
        return s.query(model).count()


def jobs(service: WorkerService, kind: str) -> int:
    with service.runtime.db.session() as s:
        return s.query(JobRow).filter(JobRow.kind == kind).count()


CASES = [("remittances", REMITTANCE, RemittanceRow, "worker.remit.run"),
         ("loans", LOAN, LoanApplicationRow, "worker.loan.run")]


@pytest.mark.parametrize(("what", "body", "model", "kind"), CASES)
def test_a_retry_with_the_same_key_returns_the_same_request(
    server: ThreadedServer, worker_service: WorkerService, identity: str,
    what: str, body: dict[str, Any], model: type[Any], kind: str,
) -> None:
    path = f"/identities/{identity}/{what}"
    first = post(server, path, body, "client-key-1")
    again = post(server, path, body, "client-key-1")

    assert first.status_code == again.status_code == 202, first.text
    assert first.json()["id"] == again.json()["id"]
    assert rows(worker_service, model) == 1
    assert jobs(worker_service, kind) == 1

    other = post(server, path, body, "client-key-2")  # a new key is a new request
    assert other.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(("what", "body", "model", "kind"), CASES)
def test_concurrent_retries_create_one_request(
    server: ThreadedServer, worker_service: WorkerService, identity: str,
    what: str, body: dict[str, Any], model: type[Any], kind: str,
) -> None:
    path = f"/identities/{identity}/{what}"
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(5)

    def once() -> None:
        barrier.wait()
        answers.append(post(server, path, body, "same-key"))

    threads = [threading.Thread(target=once) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert rows(worker_service, model) == 1


@pytest.mark.parametrize(("what", "body", "changed"), [
    ("remittances", REMITTANCE, {"receive_amount_minor": 2_500_000}),
    ("loans", LOAN, {"months": 12}),
])
def test_the_same_key_with_another_body_is_a_409(
    server: ThreadedServer, identity: str, what: str, body: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    path = f"/identities/{identity}/{what}"
    assert post(server, path, body, "k").status_code == 202

    response = post(server, path, {**body, **changed}, "k")

    assert response.status_code == 409
    assert response.headers["content-type"] == problems.PROBLEM


@pytest.mark.parametrize(("what", "body"), [("remittances", REMITTANCE), ("loans", LOAN)])
def test_a_money_moving_post_needs_an_idempotency_key(
    server: ThreadedServer, identity: str, what: str, body: dict[str, Any]
) -> None:
    response = post(server, f"/identities/{identity}/{what}", body, None)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
