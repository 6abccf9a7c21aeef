"""The sandbox rail: deterministic references, idempotent by payout id, chosen failures."""

from __future__ import annotations

from zkredit.agents.receiver.rails import PayoutInstruction, PayoutStatus, SandboxRail
from zkredit.domain.fees import Route
from zkredit.domain.money import Money


def instruction(payout_id: str, account: str = "1234567890") -> PayoutInstruction:
    return PayoutInstruction(
        payout_id, Money.of(15_000, "PHP"), Route.BANK_TRANSFER, "BDO Unibank", account, "Juan"
    )


def test_the_reference_depends_on_the_payout_id_only() -> None:
    a, b = SandboxRail(Route.BANK_TRANSFER), SandboxRail(Route.BANK_TRANSFER)
    assert a.pay(instruction("po_1")) == b.pay(instruction("po_1"))
    assert a.pay(instruction("po_1")).reference != a.pay(instruction("po_2")).reference
    assert a.pay(instruction("po_1")).reference.startswith("SBX-BANK-")


def test_a_repeat_returns_the_first_result() -> None:
    rail = SandboxRail(Route.BANK_TRANSFER, fail_every=2)
    first = rail.pay(instruction("po_1"))
    assert [rail.pay(instruction("po_1")) for _ in range(3)] == [first] * 3
    assert rail.pay(instruction("po_2")).status is PayoutStatus.FAILED  # the 2nd distinct payout


def test_accounts_matching_the_pattern_fail() -> None:
    rail = SandboxRail(Route.BANK_TRANSFER, fail_accounts=r"^0000")
    failed = rail.pay(instruction("po_1", "0000000000"))
    assert failed.status is PayoutStatus.FAILED and "account closed" in (failed.reason or "")
    assert rail.pay(instruction("po_2")).status is PayoutStatus.PAID_OUT
