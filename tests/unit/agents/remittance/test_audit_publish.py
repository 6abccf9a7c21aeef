"""F34: each transfer event reaches the audit log exactly once, even when published at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from tests.unit.agents.audit_crash import SimulatedCrash, audited, crash_on_audit
from tests.unit.agents.remittance.conftest import System
from tests.unit.agents.remittance.test_requests import SAMUEL_PAYOUT
from zkredit.agents.remittance.models import TransferEventRow


def audited_event_ids(system: System) -> Counter[int]:
    log = system.remittance.runtime.audit
    return Counter(int(e["event_id"]) for kind in
                   ("quoted", "funded", "compliance_passed", "sent", "paid_out", "completed")
                   for e in audited(log, f"remittance.transfer.{kind}"))


def test_concurrent_publishes_audit_each_event_once(system: System) -> None:
    reply = system.remittance.remittance.disburse({**SAMUEL_PAYOUT, "loan_id": "loan-a"}, "credit")
    assert system.wait(reply.transfer_id).state == "completed"
    publisher = system.remittance.remittance.publisher
    publisher.publish(reply.transfer_id)  # whatever the pipeline had not published yet
    before = audited_event_ids(system)

    for _ in range(3):
        with system.remittance.runtime.db.session() as s:
            s.add(TransferEventRow(transfer_id=reply.transfer_id, event="confirm",
                                   from_state="paid_out", to_state="completed",
                                   at=system.clock()))
        barrier = threading.Barrier(4)

        def publish(barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            publisher.publish(reply.transfer_id)

        threads = [threading.Thread(target=publish) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

    new = {k: v for k, v in audited_event_ids(system).items() if k not in before}
    assert len(new) == 3 and set(new.values()) == {1}, new


def test_an_event_is_marked_published_only_with_its_audit_entry(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = system.remittance.remittance.disburse({**SAMUEL_PAYOUT, "loan_id": "loan-b"}, "credit")
    assert system.wait(reply.transfer_id).state == "completed"
    # The transfer's own events may still be on their way to the audit log (the job that
    # completed it publishes them after the state change): publish them now, so the count
    # below is taken after them and only the added event can change it.
    system.remittance.remittance.publisher.publish(reply.transfer_id)
    with system.remittance.runtime.db.session() as s:
        s.add(TransferEventRow(transfer_id=reply.transfer_id, event="confirm",
                               from_state="paid_out", to_state="completed", at=system.clock()))
    kind = "remittance.transfer.completed"
    entries = len(audited(system.remittance.runtime.audit, kind))
    with crash_on_audit(monkeypatch, kind), pytest.raises(SimulatedCrash):
        system.remittance.remittance.publisher.publish(reply.transfer_id)

    system.remittance.remittance.publisher.publish(reply.transfer_id)
    system.remittance.remittance.publisher.publish(reply.transfer_id)

    assert len(audited(system.remittance.runtime.audit, kind)) == entries + 1
