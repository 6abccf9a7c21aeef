"""F08: a transfer whose step job died (a long receiver outage) is resumed, not stranded."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.unit.agents.remittance.conftest import System
from tests.unit.agents.remittance.test_requests import SAMUEL_PAYOUT
from zkredit.agents.common.messaging import PeerError
from zkredit.agents.common.reconciler import Reconciler
from zkredit.jobs.api import JobState


def receiver_down(*args: Any, **kwargs: Any) -> dict[str, Any]:
    raise PeerError("receiver", 503, "unreachable at http://127.0.0.1:3004: connection refused")


def dead_step(system: System, transfer_id: str, state: str) -> bool:
    store = system.remittance.runtime.jobs.store  # type: ignore[attr-defined]
    found = store.find(f"advance:{transfer_id}:{state}")
    return found is not None and found.state is JobState.DEAD


def test_a_transfer_stranded_in_sent_by_a_receiver_outage_is_resumed(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as outage:
        outage.setattr(system.payouts, "request_payout", receiver_down)
        outage.setattr(system.payouts, "payout_status", receiver_down)
        transfer_id = system.remittance.remittance.disburse(
            {**SAMUEL_PAYOUT, "loan_id": "loan-outage"}, "credit").transfer_id
        deadline = time.monotonic() + 30
        while not dead_step(system, transfer_id, "sent"):
            assert time.monotonic() < deadline, "the payout step never exhausted its attempts"
            time.sleep(0.05)
        assert system.remittance.remittance.status(transfer_id).state == "sent"
    # The receiver is back. Before F08, resume() re-enqueued under the dead job's dedup
    # key, got the dead job back, and the transfer stayed in 'sent' for good.

    resumed = Reconciler({"remittance": system.remittance.pipeline.resume}).run_once()

    assert resumed["remittance"] >= 1
    final = system.wait(transfer_id)
    assert final.state == "completed", final.reasons
    assert system.payouts.calls == 1  # paid once, after the outage
