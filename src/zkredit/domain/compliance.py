"""The compliance verdict on a funded remittance (DOMAIN.md), as a state-machine event.

Hard failures (unverified identity, sanctions BLOCK, a denied wallet, a limit
exceeded, travel-rule data missing above 1,000 USD) give ``fail_compliance``;
a sanctions near match gives ``hold_for_review``; otherwise ``pass_compliance``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zkredit.domain.limits import USD, LimitDecision
from zkredit.domain.money import Money
from zkredit.domain.remittance import TransferEvent
from zkredit.domain.sanctions import ScreeningOutcome, ScreeningResult, WalletScreening
from zkredit.errors import InputError

TRAVEL_RULE_THRESHOLD = Money.of(1_000, "USD")
"""Above this USD value, originator and beneficiary data must travel with the transfer."""


def travel_rule_required(amount_usd: Money) -> bool:
    """True when ``amount_usd`` is strictly above 1,000 USD."""
    if amount_usd.currency != USD:
        raise InputError(f"the travel-rule threshold is in USD. Got {amount_usd}")
    return amount_usd.minor > TRAVEL_RULE_THRESHOLD.minor


@dataclass(frozen=True)
class ComplianceDecision:
    """The event to apply and every reason behind it (empty when passing)."""

    event: TransferEvent
    reasons: tuple[str, ...]
    travel_rule_required: bool


def assess(
    *,
    identity_verified: bool,
    recipient: ScreeningResult,
    wallets: Iterable[WalletScreening],
    limits: LimitDecision,
    amount_usd: Money,
    travel_rule_attached: bool,
) -> ComplianceDecision:
    """Combine the checks into one deterministic verdict."""
    failures: list[str] = []
    if not identity_verified:
        failures.append("the identity (KYC) proof did not verify")
    match = recipient.match
    if recipient.outcome is ScreeningOutcome.BLOCK and match is not None:
        failures.append(
            f"recipient {recipient.query!r} matches sanctions entry {match.entry.id} "
            f"({match.matched_name}, {match.score_bps} bp)"
        )
    failures.extend(
        f"wallet {w.address} is denied ({w.entry.reason})" for w in wallets if w.entry is not None
    )
    if not limits.allowed:
        failures.append(limits.reason)
    required = travel_rule_required(amount_usd)
    if required and not travel_rule_attached:
        failures.append(f"travel-rule data is required above {TRAVEL_RULE_THRESHOLD}")
    if failures:
        return ComplianceDecision(TransferEvent.FAIL_COMPLIANCE, tuple(failures), required)
    if recipient.outcome is ScreeningOutcome.REVIEW and match is not None:
        reason = (
            f"recipient {recipient.query!r} is a near match of sanctions entry {match.entry.id} "
            f"({match.matched_name}, {match.score_bps} bp): manual review"
        )
        return ComplianceDecision(TransferEvent.HOLD_FOR_REVIEW, (reason,), required)
    return ComplianceDecision(TransferEvent.PASS_COMPLIANCE, (), required)
