"""F21: malformed input to the worker's API is a 4xx problem+json, and never reaches the service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from zkredit.agents.common import problems
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.agents.worker import routes

TOO_BIG = 2**63
"""One past the largest amount a BIGINT column (and so the ledger) can hold."""
JUAN = {"name": "Juan Rodriguez", "account": "1234567890", "bank": "Banco de Oro",
        "country": "PH"}


class RecordingVault:
    def __init__(self) -> None:
        self.stored: list[Any] = []

    def identity(self, identity_id: str) -> None:
        return None

    def store_membership(self, identity_id: str, proof: Any) -> str:
        self.stored.append(proof)
        return "item-1"


class RecordingWorker:
    def __init__(self) -> None:
        self.vault = RecordingVault()
        self.calls: list[str] = []

    def apply_for_loan(self, *args: Any, **kwargs: Any) -> str:
        self.calls.append("loan")
        return "app-1"

    def remit(self, *args: Any, **kwargs: Any) -> str:
        self.calls.append("remit")
        return "rem-1"


@pytest.fixture(scope="module")
def worker() -> RecordingWorker:
    return RecordingWorker()


@pytest.fixture(scope="module")
def server(worker: RecordingWorker) -> Iterator[ThreadedServer]:
    app = FastAPI()
    problems.install(app)
    app.include_router(routes.router)
    app.state.worker = worker
    running = ThreadedServer(app, free_port()).start()
    yield running
    running.stop()


def post(server: ThreadedServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=10,
                      headers={"Idempotency-Key": uuid.uuid4().hex})


def assert_refused(response: httpx.Response, field: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == problems.PROBLEM
    assert field in response.json()["detail"]


MEMBERSHIP = {"leaf": "12", "index": 1, "root": "34", "path_elements": ["5", "6"],
              "path_indices": [1, 0]}


@pytest.mark.parametrize(("field", "value"), [
    ("leaf", "twelve"),
    ("root", "0x"),
    ("leaf", "-1"),
    ("root", str(2**254 * 2)),  # outside the BN254 scalar field
    ("path_elements", ["5", "six"]),
    ("path_elements", ["1"] * 65),
    ("path_indices", [1, 2]),
    ("index", -1),
])
def test_a_malformed_membership_is_refused(
    server: ThreadedServer, worker: RecordingWorker, field: str, value: Any
) -> None:
    before = len(worker.vault.stored)

    response = post(server, "/identities/i1/kyc-membership", {**MEMBERSHIP, field: value})

    assert_refused(response, field)
    assert len(worker.vault.stored) == before


def test_a_well_formed_membership_is_stored(server: ThreadedServer,
                                            worker: RecordingWorker) -> None:
    response = post(server, "/identities/i1/kyc-membership", MEMBERSHIP)

    assert response.status_code == 201, response.text
    assert worker.vault.stored[-1].path_elements == (5, 6)


LOAN = {"amount_minor": 250_000_000, "currency": "NGN", "months": 24,
        "payout": {"recipient": JUAN, "route": "bank_transfer"}}
REMITTANCE = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
              "receive_amount_minor": 1_500_000, "recipient": JUAN}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/identities/i1/loans", {**LOAN, "amount_minor": TOO_BIG}, "amount_minor"),
    ("/identities/i1/loans", {**LOAN, "amount_minor": 10**30}, "amount_minor"),
    ("/identities/i1/remittances", {**REMITTANCE, "receive_amount_minor": TOO_BIG},
     "receive_amount_minor"),
    ("/identities/i1/remittances",
     {**{k: v for k, v in REMITTANCE.items() if k != "receive_amount_minor"},
      "send_amount_minor": TOO_BIG}, "send_amount_minor"),
])
def test_an_amount_no_store_can_hold_is_refused(
    server: ThreadedServer, worker: RecordingWorker, path: str, body: dict[str, Any], field: str
) -> None:
    before = list(worker.calls)

    response = post(server, path, body)

    assert_refused(response, field)
    assert worker.calls == before


def test_the_largest_storable_amount_is_accepted(server: ThreadedServer) -> None:
    response = post(server, "/identities/i1/loans", {**LOAN, "amount_minor": TOO_BIG - 1})

    assert response.status_code == 202, response.text
