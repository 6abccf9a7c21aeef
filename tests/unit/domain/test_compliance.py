"""The compliance verdict: which state-machine event a funded transfer gets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.domain.conftest import NOW
from zkredit.domain.compliance import assess, travel_rule_required
from zkredit.domain.fx import SnapshotRateProvider
from zkredit.domain.limits import check_limits
from zkredit.domain.money import Money
from zkredit.domain.remittance import TransferEvent
from zkredit.domain.sanctions import SanctionsList, WalletDenyList
from zkredit.errors import InputError

CLEAN_WALLET = "0x00000000000000000000000000000000000000aa"
DENIED_WALLET = "0xdead00000000000000000000000000000000beef"


@pytest.mark.parametrize(
    ("amount", "required"),
    [(Money.of(1_000, "USD"), False), (Money(100_001, Money.of(1, "USD").currency), True)],
)
def test_travel_rule_threshold_is_strictly_above_1000_usd(amount: Money, required: bool) -> None:
    assert travel_rule_required(amount) is required


def test_travel_rule_threshold_is_in_usd() -> None:
    with pytest.raises(InputError, match="in USD"):
        travel_rule_required(Money.of(5_000, "PHP"))


@pytest.mark.parametrize(
    ("identity", "recipient", "wallet", "prior_usd", "amount_usd", "travel", "event", "why"),
    [
        (True, "Juan Rodriguez", CLEAN_WALLET, 0, 258, False, TransferEvent.PASS_COMPLIANCE, ""),
        (False, "Juan Rodriguez", CLEAN_WALLET, 0, 258, False, TransferEvent.FAIL_COMPLIANCE,
         "identity (KYC) proof"),
        (True, "Viktor Dragunov", CLEAN_WALLET, 0, 258, False, TransferEvent.FAIL_COMPLIANCE,
         "SMPL-0001"),
        (True, "Viktor Dragunoff", CLEAN_WALLET, 0, 258, False, TransferEvent.HOLD_FOR_REVIEW,
         "manual review"),
        (True, "Juan Rodriguez", DENIED_WALLET, 0, 258, False, TransferEvent.FAIL_COMPLIANCE,
         "is denied"),
        (True, "Juan Rodriguez", CLEAN_WALLET, 800, 258, False, TransferEvent.FAIL_COMPLIANCE,
         "24-hour limit"),
        (True, "Juan Rodriguez", CLEAN_WALLET, 0, 1_500, False, TransferEvent.FAIL_COMPLIANCE,
         "travel-rule data"),
        (True, "Juan Rodriguez", CLEAN_WALLET, 0, 1_500, True, TransferEvent.PASS_COMPLIANCE, ""),
        # A hard failure wins over a near match.
        (True, "Viktor Dragunoff", DENIED_WALLET, 0, 258, False, TransferEvent.FAIL_COMPLIANCE,
         "is denied"),
    ],
)  # fmt: skip
def test_compliance_table(
    rates: SnapshotRateProvider,
    sanctions: SanctionsList,
    deny_list: WalletDenyList,
    identity: bool,
    recipient: str,
    wallet: str,
    prior_usd: int,
    amount_usd: int,
    travel: bool,
    event: TransferEvent,
    why: str,
) -> None:
    history = [(NOW - timedelta(hours=1), Money.of(prior_usd, "USD"))] if prior_usd else []
    amount = Money.of(amount_usd, "USD")
    decision = assess(
        identity_verified=identity,
        recipient=sanctions.screen(recipient),
        wallets=[deny_list.check(wallet)],
        limits=check_limits(history, amount, 2 if amount_usd > 1_000 else 1, NOW, rates),
        amount_usd=amount,
        travel_rule_attached=travel,
    )
    assert decision.event is event
    assert decision.travel_rule_required is (amount_usd > 1_000)
    if why:
        assert any(why in reason for reason in decision.reasons)
    else:
        assert decision.reasons == ()
