"""The credit decision: scenario 2 approves at tier 2, scenario 3 declines with alternatives."""

from __future__ import annotations

import dataclasses

import pytest

from zkredit.domain.loans import (
    AlternativeKind,
    Approved,
    Condition,
    Declined,
    Evidence,
    Pricing,
    decide,
)
from zkredit.domain.money import Money
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import InputError

NGN_POLICY = CreditPolicy.default_for("NGN")
ALL_GOOD = Evidence(
    income_proof=True,
    credit_history_proof=True,
    collateral_proof=True,
    identity_proof=True,
    public_inputs_match_policy=True,
    issuers_trusted=True,
    kyc_root_recent=True,
    nullifier_unused=True,
    tier=2,
)


def ngn(major: int) -> Money:
    return Money.of(major, "NGN")


def test_scenario_2_samuel_is_approved_at_tier_2() -> None:
    decision = decide(ALL_GOOD, ngn(2_500_000), 24, NGN_POLICY)
    assert isinstance(decision, Approved)
    assert (decision.tier, decision.tier_name) == (2, "VeryGood")
    # min(2,500,000, 500,000 × 6 = 3,000,000)
    assert decision.limit == ngn(2_500_000)
    assert not decision.reduced
    assert decision.apr_bps == 1_000
    assert decision.monthly_payment == Money(11_536_232, ngn(1).currency)
    assert decision.total_interest == Money(26_869_556, ngn(1).currency)
    assert decision.total_repayable == Money(276_869_556, ngn(1).currency)
    assert len(decision.schedule.installments) == 24


@pytest.mark.parametrize(
    ("tier", "requested", "limit", "apr_bps"),
    [
        (1, 5_000_000, 4_000_000, 800),  # 500k × 8
        (2, 5_000_000, 3_000_000, 1_000),  # 500k × 6
        (3, 5_000_000, 2_000_000, 1_250),  # 500k × 4
        (4, 5_000_000, 1_000_000, 1_600),  # 500k × 2
        (4, 900_000, 900_000, 1_600),
    ],
)
def test_limits_and_rates_by_tier(tier: int, requested: int, limit: int, apr_bps: int) -> None:
    decision = decide(dataclasses.replace(ALL_GOOD, tier=tier), ngn(requested), 12, NGN_POLICY)
    assert isinstance(decision, Approved)
    assert (decision.limit, decision.apr_bps) == (ngn(limit), apr_bps)
    assert decision.reduced is (limit < requested)
    assert decision.schedule.principal == ngn(limit)


def test_scenario_3_john_doe_is_declined_with_reasons_and_alternatives() -> None:
    """No valid credit-history proof can exist for score 500, 10 late payments, 12 months."""
    evidence = dataclasses.replace(ALL_GOOD, credit_history_proof=False, tier=None)
    decision = decide(evidence, ngn(1_000_000), 12, NGN_POLICY)
    assert isinstance(decision, Declined)
    assert [r.condition for r in decision.reasons] == [Condition.CREDIT_HISTORY_PROOF]
    assert decision.reasons[0].message == "the credit-history proof is missing or invalid"
    assert [(a.kind, a.months) for a in decision.alternatives] == [
        (AlternativeKind.REAPPLY_LATER, 24),
        (AlternativeKind.MORE_COLLATERAL, None),
    ]
    assert decision.alternatives[0].text == (
        "re-apply after 24 months of credit history with no defaults and at most 3 late payments"
    )


@pytest.mark.parametrize(
    ("changes", "conditions", "kinds"),
    [
        ({"tier": 5}, [Condition.LENDING_TIER], ["reapply_later", "more_collateral"]),
        (
            {"collateral_proof": False},
            [Condition.COLLATERAL_PROOF],
            ["smaller_amount", "more_collateral"],
        ),
        (
            {"income_proof": False},
            [Condition.INCOME_PROOF],
            ["reapply_later", "more_collateral"],
        ),
        ({"identity_proof": False}, [Condition.IDENTITY_PROOF], ["complete_kyc"]),
        ({"nullifier_unused": False}, [Condition.NULLIFIER_UNUSED], ["new_application"]),
        (
            {"public_inputs_match_policy": False, "kyc_root_recent": False},
            [Condition.PUBLIC_INPUTS_MATCH_POLICY, Condition.KYC_ROOT_RECENT],
            ["refresh_proofs", "refresh_proofs"],  # two different proofs to redo
        ),
        ({"issuers_trusted": False}, [Condition.ISSUERS_TRUSTED], ["refresh_proofs"]),
        (
            {"income_proof": False, "collateral_proof": False},
            [Condition.INCOME_PROOF, Condition.COLLATERAL_PROOF],
            ["reapply_later", "more_collateral", "smaller_amount"],
        ),
    ],
)
def test_decline_table(
    changes: dict[str, object], conditions: list[Condition], kinds: list[str]
) -> None:
    decision = decide(
        dataclasses.replace(ALL_GOOD, **changes),  # type: ignore[arg-type]
        ngn(1_000_000),
        12,
        NGN_POLICY,
    )
    assert isinstance(decision, Declined)
    assert [r.condition for r in decision.reasons] == conditions
    assert [a.kind.value for a in decision.alternatives] == kinds


def test_collateral_alternative_quotes_the_policy_ratio() -> None:
    decision = decide(dataclasses.replace(ALL_GOOD, collateral_proof=False), ngn(1), 1, NGN_POLICY)
    assert isinstance(decision, Declined)
    assert "at least 50.00 %" in decision.alternatives[0].text


def test_the_decision_is_deterministic() -> None:
    assert decide(ALL_GOOD, ngn(2_500_000), 24, NGN_POLICY) == decide(
        ALL_GOOD, ngn(2_500_000), 24, NGN_POLICY
    )


def test_pricing_is_configurable() -> None:
    generous = Pricing(base_apr_bps=500, premium_bps={2: 100}, income_multiplier={2: 10})
    decision = decide(ALL_GOOD, ngn(9_000_000), 12, NGN_POLICY, generous)
    assert isinstance(decision, Approved)
    assert (decision.limit, decision.apr_bps) == (ngn(5_000_000), 600)
    lapsed = decide(dataclasses.replace(ALL_GOOD, tier=1), ngn(1), 12, NGN_POLICY, generous)
    assert isinstance(lapsed, Declined)
    assert lapsed.reasons[0].condition is Condition.LENDING_TIER


@pytest.mark.parametrize(
    ("evidence", "requested", "message"),
    [
        (ALL_GOOD, Money.of(1_000, "USD"), "this policy lends in NGN"),
        (ALL_GOOD, ngn(0), "must be positive"),
        (dataclasses.replace(ALL_GOOD, tier=None), ngn(1), "outputs a tier 1-5"),
        (dataclasses.replace(ALL_GOOD, tier=6), ngn(1), "outputs a tier 1-5"),
    ],
)
def test_decide_refuses_bad_input(evidence: Evidence, requested: Money, message: str) -> None:
    with pytest.raises(InputError, match=message):
        decide(evidence, requested, 12, NGN_POLICY)
