"""The funding step (F14): a transfer is funded only by a confirmed collection.

Each test drives the step itself with :meth:`TransferPipeline.advance` (the job
handler); the queued job may run the same step concurrently, which is what the
transfer lock and the state check are for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy import select

from tests.unit.agents.remittance.conftest import System, build_system
from tests.unit.agents.remittance.support import Clock, KycWorld
from zkredit.agents.remittance.errors import FundingPending
from zkredit.agents.remittance.funding import (
    Collection,
    CollectionStatus,
    FundingRailError,
    PayInRequest,
    SandboxFundingRail,
    payin_reference,
)
from zkredit.agents.remittance.models import SandboxPayInRow, TransferRow
from zkredit.domain.ledger import cash, customer_funds
from zkredit.domain.money import Money, currency
from zkredit.domain.remittance import TransferState
from zkredit.store.db import Database
from zkredit.store.ledger import Ledger
from zkredit.store.models import LedgerEntryRow
from zkredit.zk.prover import Groth16pyBackend

pytestmark = pytest.mark.slow

DECLINED = r"dead$"
"""Sender wallets whose bank declines the sandbox debit."""


@dataclass
class Funded:
    """A system whose pay-ins wait for the test to pay them."""

    system: System
    rail: SandboxFundingRail

    def request(self, wallet: str | None = None) -> tuple[str, Money]:
        """A scenario-1 transfer request; its id and the total the sender must pay."""
        quote = self.system.scenario1_quote()
        payload = self.system.transfer_payload(quote, wallet=wallet or Account.create().address)
        reply = self.system.remittance.remittance.request_transfer(payload, "key", "worker")
        q = quote.quote
        total = q.sent.amount_minor + q.fee.total.amount_minor
        return reply.transfer_id, Money(total, currency(q.sent.currency))

    def fund_step(self, transfer_id: str) -> str:
        result = self.system.remittance.pipeline.advance(
            {"transfer_id": transfer_id, "state": "quoted"})
        return str(result["state"])

    def open_pay_in(self, transfer_id: str) -> str:
        """Run the step once: it opens the pay-in, which waits for the payer."""
        with pytest.raises(FundingPending, match="not collected yet"):
            self.fund_step(transfer_id)
        return payin_reference(transfer_id)

    def state(self, transfer_id: str) -> str:
        return self.system.remittance.remittance.status(transfer_id).state

    def fund_entries(self, transfer_id: str) -> list[str]:
        with self.system.remittance.runtime.db.session() as s:
            return list(s.scalars(select(LedgerEntryRow.id).where(
                LedgerEntryRow.reference == transfer_id, LedgerEntryRow.id.like("%:fund"))))

    def cash(self) -> int:
        sgd = currency("SGD")
        return Ledger(self.system.remittance.runtime.db).balance(cash(sgd), sgd).minor


@pytest.fixture
def funded(tmp_path: Path, identity_prover: Groth16pyBackend, world: KycWorld
           ) -> Iterator[Funded]:
    rails: list[SandboxFundingRail] = []

    def manual(db: Database, clock: Clock) -> SandboxFundingRail:
        rails.append(SandboxFundingRail(db, auto_collect=False, fail_payers=DECLINED,
                                        clock=clock))
        return rails[-1]

    with build_system(tmp_path, identity_prover, world, funding=manual) as system:
        yield Funded(system, rails[0])


def test_a_quote_cannot_become_funded_without_a_confirmed_collection(funded: Funded) -> None:
    """Regression (F14): ``quoted → funded`` booked cash that was never collected."""
    tid, total = funded.request()
    with pytest.raises(FundingPending, match="not collected yet"):
        funded.fund_step(tid)
    assert funded.state(tid) == "quoted"
    assert funded.fund_entries(tid) == [] and funded.cash() == 0
    pay_in = funded.rail.collection(payin_reference(tid))
    assert pay_in.status is CollectionStatus.PENDING and pay_in.expected == total
    with funded.system.remittance.runtime.db.session() as s:
        row = s.get(TransferRow, tid)
        assert row is not None and row.payin_reference == pay_in.reference


def test_a_collected_pay_in_funds_the_transfer_with_one_cash_entry(funded: Funded) -> None:
    tid, total = funded.request()
    funded.rail.pay(funded.open_pay_in(tid), total)

    funded.fund_step(tid)
    final = funded.system.wait(tid)

    assert final.state == "completed", final.reasons
    assert [h.state for h in final.history][:2] == ["quoted", "funded"]
    assert funded.fund_entries(tid) == [f"{tid}:fund"]
    assert final.payin_reference == payin_reference(tid)  # what the sender quotes
    # Replayed confirmations (the job re-run after a crash, a revived dead job) book nothing.
    assert funded.fund_step(tid) == "completed"
    funded.system.remittance.pipeline.schedule(tid, TransferState.QUOTED)
    assert funded.fund_entries(tid) == [f"{tid}:fund"]
    ledger = Ledger(funded.system.remittance.runtime.db)
    assert ledger.trial_balance().balanced
    sgd = currency("SGD")
    assert ledger.balance(customer_funds(sgd), sgd).minor == 0
    with funded.system.remittance.runtime.db.session() as s:
        entry = s.get(LedgerEntryRow, f"{tid}:fund")
        assert entry is not None and payin_reference(tid) in entry.memo


def test_a_mismatched_amount_is_refused_returned_and_never_booked(funded: Funded) -> None:
    tid, total = funded.request()
    funded.rail.pay(funded.open_pay_in(tid), Money(total.minor - 1, total.currency))

    assert funded.fund_step(tid) == "unfunded"

    status = funded.system.remittance.remittance.status(tid)
    assert status.state == "unfunded"
    assert any("not the quoted total" in r and "returned to the payer" in r
               for r in status.reasons), status.reasons
    assert funded.rail.collection(payin_reference(tid)).status is CollectionStatus.RETURNED
    assert funded.fund_entries(tid) == [] and funded.cash() == 0
    assert funded.fund_step(tid) == "unfunded"  # replayed: still refused, nothing booked
    assert funded.fund_entries(tid) == []
    assert Ledger(funded.system.remittance.runtime.db).trial_balance().balanced


def test_a_declined_pay_in_leaves_the_transfer_unfunded(funded: Funded) -> None:
    tid, _ = funded.request(wallet="0x" + "00" * 18 + "dead")

    assert funded.fund_step(tid) == "unfunded"

    status = funded.system.remittance.remittance.status(tid)
    assert any("declined the debit" in r for r in status.reasons), status.reasons
    assert funded.fund_entries(tid) == [] and funded.cash() == 0


def test_a_pay_in_still_pending_when_the_quote_expires_is_cancelled(funded: Funded) -> None:
    tid, total = funded.request()
    funded.system.clock.advance(61)

    assert funded.fund_step(tid) == "expired"

    ref = payin_reference(tid)
    assert funded.rail.collection(ref).status is CollectionStatus.CANCELLED
    assert funded.rail.pay(ref, total).status is CollectionStatus.CANCELLED  # too late
    assert funded.fund_entries(tid) == [] and funded.cash() == 0


class FlakyRail:
    """A funding rail that does not answer until it is told to (a network outage)."""

    def __init__(self, inner: SandboxFundingRail) -> None:
        self.inner = inner
        self.down = True

    @property
    def name(self) -> str:
        return self.inner.name

    def _check(self) -> None:
        if self.down:
            raise FundingRailError("connection refused")

    def open(self, request: PayInRequest) -> Collection:
        self._check()
        return self.inner.open(request)

    def collection(self, reference: str) -> Collection:
        self._check()
        return self.inner.collection(reference)

    def cancel(self, reference: str, reason: str) -> Collection:
        self._check()
        return self.inner.cancel(reference, reason)

    def refuse(self, reference: str, reason: str) -> Collection:
        self._check()
        return self.inner.refuse(reference, reason)


def test_a_rail_that_does_not_answer_books_nothing_and_is_retried(
    tmp_path: Path, identity_prover: Groth16pyBackend, world: KycWorld
) -> None:
    rails: list[FlakyRail] = []

    def flaky(db: Database, clock: Clock) -> FlakyRail:
        rails.append(FlakyRail(SandboxFundingRail(db, clock=clock)))
        return rails[-1]

    with build_system(tmp_path, identity_prover, world, funding=flaky) as system:
        helper = Funded(system, rails[0].inner)
        tid, _ = helper.request()
        with pytest.raises(FundingPending, match="did not answer"):
            helper.fund_step(tid)
        assert helper.state(tid) == "quoted" and helper.fund_entries(tid) == []
        rails[0].down = False
        system.remittance.pipeline.schedule(tid, TransferState.QUOTED)  # revives the dead job
        assert system.wait(tid).state == "completed"
        assert helper.fund_entries(tid) == [f"{tid}:fund"]


def test_a_disbursement_is_collected_from_the_lender(
    tmp_path: Path, identity_prover: Groth16pyBackend, world: KycWorld
) -> None:
    from tests.unit.agents.remittance.test_requests import SAMUEL_PAYOUT

    with build_system(tmp_path, identity_prover, world) as system:
        reply = system.remittance.remittance.disburse(SAMUEL_PAYOUT, "credit")
        assert system.wait(reply.transfer_id).state == "completed"
        rail = SandboxFundingRail(system.remittance.runtime.db)
        pay_in = rail.collection(payin_reference(reply.transfer_id))
        assert pay_in.status is CollectionStatus.COLLECTED and pay_in.settles
        with system.remittance.runtime.db.session() as s:
            row = s.get(SandboxPayInRow, pay_in.reference)
            assert row is not None and row.payer == "credit"
