"""F27: a transfer request whose claim was cut off by a crash can be retried."""

from __future__ import annotations

import pytest
from eth_account import Account
from sqlalchemy import update

from tests.unit.agents.remittance.conftest import System
from zkredit.agents.common.envelope import canonical_json
from zkredit.agents.remittance.errors import RequestInProgress
from zkredit.agents.remittance.service import TRANSFER_ROUTE
from zkredit.store.idempotency import DEFAULT_LEASE as CLAIM_LEASE
from zkredit.store.idempotency import Claim, request_hash
from zkredit.store.models import IdempotencyRow


def claim_as_a_crashed_process_would(system: System, payload: dict[str, object],
                                     key: str) -> None:
    fingerprint = request_hash("POST", TRANSFER_ROUTE, canonical_json(dict(payload)))
    assert system.remittance.remittance.idempotency.begin(
        f"worker:{key}", TRANSFER_ROUTE, fingerprint).claim is Claim.NEW
    # ... and the process died here, before the transfer row was written.


def test_a_claim_cut_off_before_the_transfer_was_stored_expires(system: System) -> None:
    service = system.remittance.remittance
    payload = system.transfer_payload(system.scenario1_quote(), wallet=Account.create().address)
    claim_as_a_crashed_process_would(system, payload, "k-crash")

    with pytest.raises(RequestInProgress):  # within the lease: maybe still running elsewhere
        service.request_transfer(payload, "k-crash", "worker")
    system.clock.advance(CLAIM_LEASE.total_seconds() + 1)

    reply = service.request_transfer(payload, "k-crash", "worker")
    final = system.wait(reply.transfer_id)
    assert final.state == "completed", final
    assert service.request_transfer(payload, "k-crash", "worker").transfer_id == reply.transfer_id


def test_a_claim_cut_off_after_the_transfer_was_stored_replays_it_after_the_lease(
    system: System,
) -> None:
    service = system.remittance.remittance
    payload = system.transfer_payload(system.scenario1_quote(), wallet=Account.create().address)
    first = service.request_transfer(payload, "k2", "worker")
    with system.remittance.runtime.db.session() as s:  # as if the process died before complete()
        s.execute(
            update(IdempotencyRow).values(status_code=None, response_body=None, completed_at=None)
        )
    system.clock.advance(CLAIM_LEASE.total_seconds() + 1)

    again = service.request_transfer(payload, "k2", "worker")

    assert again.transfer_id == first.transfer_id
