"""credit_history.circom: every condition at its boundary and one unit past it, and the
public score band (tier) at every band edge."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.unit.circuits.builders import (
    Circuit,
    check,
    statement,
)
from zkredit.domain.policy import CreditPolicy, score_tier
from zkredit.zk.credentials import CredentialType

CREDIT = CredentialType.CREDIT_HISTORY
POLICY = CreditPolicy.default_for("NGN")


def compare(condition: str, at: str) -> tuple[str, str, str]:
    return (condition, at, "AssertLessEq")


LOW_SCORE = compare("minScore", "scoreOk.b <== minScore")
DEFAULTED = ("defaults", "defaults === 0", "CreditHistory")
TOO_LATE = compare("maxLate", "lateOk.b <== maxLate")
TOO_INDEBTED = compare("maxDebtRatioBps", "debtOk.b <== maxDebtRatioBps")
TOO_SHORT = compare("minHistoryMonths", "historyOk.b <== minHistoryMonths")


@pytest.mark.parametrize(
    ("attrs", "fails"),
    [
        pytest.param({"score": POLICY.min_score}, None, id="score-at-min"),
        pytest.param({"score": POLICY.min_score - 1}, LOW_SCORE, id="score-one-below"),
        pytest.param({"defaults": 0}, None, id="no-defaults"),
        pytest.param({"defaults": 1}, DEFAULTED, id="one-default"),
        pytest.param({"defaults": (1 << 32) - 1}, DEFAULTED, id="max-defaults"),
        pytest.param({"latePayments": POLICY.max_late}, None, id="late-at-max"),
        pytest.param({"latePayments": POLICY.max_late + 1}, TOO_LATE, id="late-one-above"),
        pytest.param({"debtRatioBps": POLICY.max_debt_ratio_bps}, None, id="debt-at-max"),
        pytest.param(
            {"debtRatioBps": POLICY.max_debt_ratio_bps + 1}, TOO_INDEBTED, id="debt-one-above"
        ),
        pytest.param({"historyMonths": POLICY.min_history_months}, None, id="history-at-min"),
        pytest.param(
            {"historyMonths": POLICY.min_history_months - 1}, TOO_SHORT, id="history-one-below"
        ),
    ],
)
def test_policy_condition(
    credit_history: Circuit, attrs: dict[str, Any], fails: tuple[str, str, str] | None
) -> None:
    stmt = statement(CREDIT, **attrs)
    check(credit_history, stmt, fails)


@pytest.mark.parametrize(
    ("policy_changes", "attrs", "fails"),
    [
        pytest.param({"max_late": 0}, {"latePayments": 0}, None, id="zero-late-allowed-none"),
        pytest.param({"max_late": 0}, {"latePayments": 1}, TOO_LATE, id="zero-late-one"),
        pytest.param({"max_debt_ratio_bps": 0}, {"debtRatioBps": 0}, None, id="zero-debt-none"),
        pytest.param(
            {"max_debt_ratio_bps": 0}, {"debtRatioBps": 1}, TOO_INDEBTED, id="zero-debt-one-bp"
        ),
        pytest.param({"min_score": 850}, {"score": 850}, None, id="score-850-of-850"),
        pytest.param({"min_score": 850}, {"score": 849}, LOW_SCORE, id="score-849-of-850"),
    ],
)
def test_policy_condition_other_thresholds(
    credit_history: Circuit,
    policy_changes: dict[str, int],
    attrs: dict[str, Any],
    fails: tuple[str, str, str] | None,
) -> None:
    policy = dataclasses.replace(POLICY, **policy_changes)
    stmt = statement(CREDIT, policy=policy, **attrs)
    check(credit_history, stmt, fails)


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (300, 5),
        (579, 5),
        (580, 4),
        (669, 4),
        (670, 3),
        (739, 3),
        (740, 2),
        (799, 2),
        (800, 1),
        (850, 1),
    ],
)
def test_tier_at_every_band_edge(credit_history: Circuit, score: int, tier: int) -> None:
    """The public tier equals score_tier(score); the table also pins score_tier itself."""
    policy = dataclasses.replace(POLICY, min_score=300)
    stmt = statement(CREDIT, policy=policy, score=score)
    out = check(credit_history, stmt)
    assert score_tier(score) == tier
    assert out["tier"] == score_tier(score)


def test_tier_depends_only_on_score(credit_history: Circuit) -> None:
    policy = dataclasses.replace(POLICY, min_score=300, max_late=10, min_history_months=0)
    tiers = set()
    for attrs in ({}, {"latePayments": 10}, {"historyMonths": 0}, {"debtRatioBps": 0}):
        tiers.add(check(credit_history, statement(CREDIT, policy=policy, **attrs))["tier"])
    assert tiers == {score_tier(745)}


# -- thresholds at the edge of the circuit's bit widths ------------------------------------

U32 = (1 << 32) - 1


@pytest.mark.parametrize(
    ("policy_changes", "attrs", "fails"),
    [
        pytest.param({"max_late": U32}, {"latePayments": U32}, None, id="max-late-2^32-1"),
        pytest.param(
            {"max_debt_ratio_bps": U32}, {"debtRatioBps": U32}, None, id="max-debt-2^32-1"
        ),
        pytest.param(
            {"min_history_months": U32}, {"historyMonths": U32}, None, id="min-history-2^32-1"
        ),
        pytest.param(
            {"min_score": (1 << 16) - 1}, {"score": (1 << 16) - 1}, None, id="min-score-2^16-1"
        ),
        # a minimum no credential can reach: both sides refuse, the circuit by range check
        pytest.param(
            {"min_history_months": U32 + 1},
            {"historyMonths": U32},
            ("minHistoryMonths", "historyOk.b <== minHistoryMonths", "Num2Bits"),
            id="min-history-2^32",
        ),
        pytest.param(
            {"min_score": 1 << 16},
            {"score": (1 << 16) - 1},
            ("minScore", "scoreOk.b <== minScore", "Num2Bits"),
            id="min-score-2^16",
        ),
    ],
)
def test_thresholds_at_bit_width_edges(
    credit_history: Circuit,
    policy_changes: dict[str, int],
    attrs: dict[str, Any],
    fails: tuple[str, str, str] | None,
) -> None:
    policy = dataclasses.replace(POLICY, **{"min_score": 0, **policy_changes})
    check(credit_history, statement(CREDIT, policy=policy, **attrs), fails)


UNBOUNDED_MAXIMA = pytest.mark.parametrize(
    ("policy_changes", "at"),
    [
        pytest.param({"max_late": U32 + 1}, "lateOk.b <== maxLate", id="max-late-2^32"),
        pytest.param(
            {"max_debt_ratio_bps": U32 + 1}, "debtOk.b <== maxDebtRatioBps", id="max-debt-2^32"
        ),
    ],
)


@UNBOUNDED_MAXIMA
def test_circuit_rejects_maximum_beyond_32_bits(
    credit_history: Circuit, policy_changes: dict[str, int], at: str
) -> None:
    """A "no limit" maximum of 2^32 or more fails the circuit's range check, however
    good the record is."""
    policy = dataclasses.replace(POLICY, **policy_changes)
    credit_history.reject(statement(CREDIT, policy=policy).inputs, at, "Num2Bits")


@UNBOUNDED_MAXIMA
def test_precheck_flags_maximum_beyond_32_bits(policy_changes: dict[str, int], at: str) -> None:
    policy = dataclasses.replace(POLICY, **policy_changes)
    assert statement(CREDIT, policy=policy).failures
