"""F07: only the receiver's explicit ``failed`` refunds the sender.

Any other error from a payout request (a lost reply, then a 401 from clock skew,
a 403, a 400 during a rolling deploy, a 422 after a schema change) is ambiguous:
the recipient may already be paid. The remittance agent asks
``receiver.payout.status``, keeps retrying, and after its last attempt escalates
the transfer to review. It never refunds on a guess.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.agents.audit_crash import audited
from tests.unit.agents.remittance.conftest import System
from tests.unit.agents.remittance.test_requests import SAMUEL_PAYOUT
from zkredit.agents.common.messaging import PeerError
from zkredit.agents.receiver.schemas import PayoutLookup
from zkredit.agents.remittance.models import TransferRow
from zkredit.store.ledger import Ledger

Request = Callable[..., dict[str, Any]]


def script(system: System, monkeypatch: pytest.MonkeyPatch,
           attempt: Callable[[int, Request, dict[str, Any]], dict[str, Any]]) -> list[int]:
    """Route every payout request through ``attempt(n, real_request, payload)``."""
    real = system.payouts.request_payout
    calls: list[int] = []

    def scripted(payload: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        calls.append(len(calls) + 1)
        return attempt(len(calls), lambda: real(payload, idempotency_key=idempotency_key),
                       payload)

    monkeypatch.setattr(system.payouts, "request_payout", scripted)
    return calls


def disburse(system: System, loan_id: str) -> str:
    reply = system.remittance.remittance.disburse({**SAMUEL_PAYOUT, "loan_id": loan_id}, "credit")
    return reply.transfer_id


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_after_a_lost_reply_does_not_refund_a_paid_transfer(
    system: System, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    def attempt(n: int, real: Request, payload: dict[str, Any]) -> dict[str, Any]:
        if n == 1:
            real()  # the receiver pays...
            raise PeerError("receiver", 503, "read timeout")  # ...and the reply is lost
        raise PeerError("receiver", status, "refused on retry")

    script(system, monkeypatch, attempt)
    transfer_id = disburse(system, f"loan-{status}")

    final = system.wait(transfer_id)

    assert final.state == "completed", final.reasons
    assert "refunded" not in [h.state for h in final.history]
    payout = system.receiver.receiver.payout_status(PayoutLookup(transfer_id=transfer_id))
    assert payout.status == "paid_out"
    entries = [e.id for e in Ledger(system.remittance.runtime.db).entries_for(transfer_id)]
    assert f"{transfer_id}:refund" not in entries


def test_a_refusal_with_no_payout_on_record_retries_then_escalates_to_review(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    def attempt(n: int, real: Request, payload: dict[str, Any]) -> dict[str, Any]:
        raise PeerError("receiver", 422, "payload.route: unknown value")

    calls = script(system, monkeypatch, attempt)
    transfer_id = disburse(system, "loan-review")

    deadline = time.monotonic() + 30
    while not audited(system.remittance.runtime.audit, "remittance.payout.review"):
        assert time.monotonic() < deadline, f"no escalation after {len(calls)} attempts"
        time.sleep(0.05)

    status = system.remittance.remittance.status(transfer_id)
    assert status.state == "sent"  # not failed, not refunded: a person decides
    assert len(calls) == 10  # every attempt asked again
    assert any("review" in r for r in status.reasons)
    with system.remittance.runtime.db.session() as s:
        row = s.get(TransferRow, transfer_id)
        assert row is not None and row.state == "sent"
    entries = [e.id for e in Ledger(system.remittance.runtime.db).entries_for(transfer_id)]
    assert f"{transfer_id}:refund" not in entries


def test_an_explicit_failed_from_the_receiver_still_refunds(system: System) -> None:
    payload = {**SAMUEL_PAYOUT, "loan_id": "loan-closed",
               "recipient": {**SAMUEL_PAYOUT["recipient"], "account": "0000000000"}}
    transfer_id = system.remittance.remittance.disburse(payload, "credit").transfer_id

    final = system.wait(transfer_id)

    assert final.state == "refunded"
    assert any("account closed" in r for r in final.reasons)


def test_a_failed_status_found_after_an_ambiguous_error_refunds(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    def attempt(n: int, real: Request, payload: dict[str, Any]) -> dict[str, Any]:
        real()  # the receiver records an explicit failure (closed account)...
        raise PeerError("receiver", 401, "clock skew")  # ...but the reply is unusable

    script(system, monkeypatch, attempt)
    payload = {**SAMUEL_PAYOUT, "loan_id": "loan-closed-2",
               "recipient": {**SAMUEL_PAYOUT["recipient"], "account": "0000000001"}}
    transfer_id = system.remittance.remittance.disburse(payload, "credit").transfer_id

    final = system.wait(transfer_id)

    assert final.state == "refunded"
