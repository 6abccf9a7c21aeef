"""collateral.circom: every condition at its boundary and one unit past it."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.circuits.builders import (
    SECRET,
    Circuit,
    check,
    resign,
    statement,
)
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import FieldRangeError
from zkredit.scenarios import EXAMPLE_DATE, SAMUEL
from zkredit.zk.credentials import Credential, CredentialType, identity_commitment
from zkredit.zk.statements import day_number

COLLATERAL = CredentialType.COLLATERAL
POLICY = CreditPolicy.default_for("NGN")
NGN = POLICY.currency_numeric
TODAY = day_number(EXAMPLE_DATE)
MAX_AGE = POLICY.max_valuation_age_days
LOAN = SAMUEL.loan_minor
RATIO = POLICY.min_collateral_ratio_bps
# exact coverage: assetValue * 10000 == LOAN * RATIO
EXACT = LOAN * RATIO // 10000
assert EXACT * 10000 == LOAN * RATIO

UNDER = ("minCollateralRatioBps", "covered.b <== required", "AssertLessEq")
LIEN = ("lien", "lienFlag === 0", "Collateral")
STALE = ("maxValuationAgeDays", "fresh.b <== valuationDay + maxValuationAgeDays", "AssertLessEq")
FUTURE = ("valuationDay", "notFuture.b <== today", "AssertLessEq")
OTHER_CURRENCY = ("currency", "cred.sigS <== sigS", "ForceEqualIfEnabled")


@pytest.mark.parametrize(
    ("loan", "value", "fails"),
    [
        pytest.param(LOAN, EXACT, None, id="exact-equality"),
        pytest.param(LOAN, EXACT - 1, UNDER, id="one-minor-unit-short"),
        # LOAN + 1 needs 125_000_000.5: the circuit compares exact integers, no rounding
        pytest.param(LOAN + 1, EXACT + 1, None, id="odd-loan-rounded-up"),
        pytest.param(LOAN + 1, EXACT, UNDER, id="odd-loan-half-unit-short"),
        pytest.param(LOAN, (1 << 64) - 1, None, id="max-asset-value"),
        # the largest loan needs (2^64 - 1) / 2 = 2^63 - 0.5: products near 2^80 compare exactly
        pytest.param((1 << 64) - 1, 1 << 63, None, id="max-loan-covered"),
        pytest.param((1 << 64) - 1, (1 << 63) - 1, UNDER, id="max-loan-half-unit-short"),
    ],
)
def test_collateral_ratio(
    collateral: Circuit, loan: int, value: int, fails: tuple[str, str, str] | None
) -> None:
    stmt = statement(COLLATERAL, loan=loan, assetValue=value)
    check(collateral, stmt, fails)


@pytest.mark.parametrize(
    ("ratio", "value", "fails"),
    [
        pytest.param(10000, LOAN, None, id="100pct-exact"),
        pytest.param(10000, LOAN - 1, UNDER, id="100pct-one-short"),
        pytest.param(15000, LOAN * 3 // 2, None, id="150pct-exact"),
        pytest.param(15000, LOAN * 3 // 2 - 1, UNDER, id="150pct-one-short"),
        pytest.param(65535, LOAN * 65535 // 10000, None, id="max-16-bit-ratio-exact"),
        pytest.param(65535, LOAN * 65535 // 10000 - 1, UNDER, id="max-16-bit-ratio-one-short"),
        pytest.param(0, 0, None, id="no-collateral-needed"),
    ],
)
def test_collateral_ratio_other_policies(
    collateral: Circuit, ratio: int, value: int, fails: tuple[str, str, str] | None
) -> None:
    policy = dataclasses.replace(POLICY, min_collateral_ratio_bps=ratio)
    stmt = statement(COLLATERAL, policy=policy, assetValue=value)
    check(collateral, stmt, fails)


@pytest.mark.parametrize(
    ("lien", "fails"),
    [pytest.param(0, None, id="no-lien"), pytest.param(1, LIEN, id="lien")],
)
def test_lien_flag(collateral: Circuit, lien: int, fails: tuple[str, str, str] | None) -> None:
    check(collateral, statement(COLLATERAL, lienFlag=lien), fails)


@pytest.mark.parametrize(
    ("valued", "max_age", "fails"),
    [
        pytest.param(TODAY - MAX_AGE, MAX_AGE, None, id="exactly-max-age-old"),
        pytest.param(TODAY - MAX_AGE - 1, MAX_AGE, STALE, id="one-day-too-old"),
        pytest.param(TODAY, MAX_AGE, None, id="valued-today"),
        pytest.param(TODAY + 1, MAX_AGE, FUTURE, id="valued-tomorrow"),
        pytest.param(TODAY, 0, None, id="same-day-only-valued-today"),
        pytest.param(TODAY - 1, 0, STALE, id="same-day-only-valued-yesterday"),
        pytest.param(TODAY + 1, 0, FUTURE, id="same-day-only-valued-tomorrow"),
        pytest.param(0, 65535, None, id="max-16-bit-age-epoch-valuation"),
    ],
)
def test_valuation_date(
    collateral: Circuit,
    valued: int,
    max_age: int,
    fails: tuple[str, str, str] | None,
) -> None:
    policy = dataclasses.replace(POLICY, max_valuation_age_days=max_age)
    stmt = statement(COLLATERAL, policy=policy, valuationDay=valued)
    check(collateral, stmt, fails)


@pytest.mark.parametrize(
    ("code", "cred_currency", "fails"),
    [
        pytest.param("NGN", NGN, None, id="same-currency"),
        pytest.param("NGN", NGN + 1, OTHER_CURRENCY, id="ISO-567"),
        pytest.param("NGN", 840, OTHER_CURRENCY, id="USD-credential-NGN-loan"),
    ],
)
def test_currency_must_match_policy(
    collateral: Circuit,
    code: str,
    cred_currency: int,
    fails: tuple[str, str, str] | None,
) -> None:
    stmt = statement(COLLATERAL, policy=CreditPolicy.default_for(code), currency=cred_currency)
    check(collateral, stmt, fails)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param((1 << 64) - 1, True, id="2^64-1"),
        pytest.param(1 << 64, False, id="2^64"),
        pytest.param((1 << 64) + EXACT, False, id="2^64+exact"),
    ],
)
def test_asset_value_range_checked_to_64_bits(collateral: Circuit, value: int, ok: bool) -> None:
    base = statement(COLLATERAL).inputs
    fields = [
        3,
        identity_commitment(SECRET),
        NGN,
        value,
        base["assetType"],
        base["lienFlag"],
        base["valuationDay"],
    ]
    inputs = resign(COLLATERAL, {**base, "assetValue": value}, fields)
    if ok:
        collateral.public(inputs)
    else:
        collateral.reject(inputs, "valueBits.in <== assetValue", "Num2Bits")
        with pytest.raises(FieldRangeError, match="assetValue"):
            Credential.build(
                COLLATERAL,
                identity_commitment(SECRET),
                {
                    "currency": NGN,
                    "assetValue": value,
                    "assetType": 1,
                    "lienFlag": 0,
                    "valuationDay": base["valuationDay"],
                },
            )


# -- public thresholds beyond the circuit's range checks -------------------------------

BEYOND_16_BITS = pytest.mark.parametrize(
    ("policy_changes", "value", "at"),
    [
        # 655.36%: covered by the asset (2e9 * 10000 >= 2.5e8 * 65536), yet out of range
        pytest.param(
            {"min_collateral_ratio_bps": 1 << 16},
            2_000_000_000,
            "ratioBits.in <== minCollateralRatioBps",
            id="ratio-2^16",
        ),
        pytest.param(
            {"min_collateral_ratio_bps": 70_000},
            2_000_000_000,
            "ratioBits.in <== minCollateralRatioBps",
            id="ratio-700pct",
        ),
        # a "no limit" valuation age
        pytest.param(
            {"max_valuation_age_days": 1 << 16},
            EXACT * 4,
            "ageBits.in <== maxValuationAgeDays",
            id="max-age-2^16-days",
        ),
    ],
)


@BEYOND_16_BITS
def test_circuit_rejects_threshold_beyond_16_bits(
    collateral: Circuit, policy_changes: dict[str, int], value: int, at: str
) -> None:
    policy = dataclasses.replace(POLICY, **policy_changes)
    stmt = statement(COLLATERAL, policy=policy, assetValue=value)
    collateral.reject(stmt.inputs, at, "Num2Bits")


@BEYOND_16_BITS
def test_precheck_flags_threshold_beyond_16_bits(
    policy_changes: dict[str, int], value: int, at: str
) -> None:
    policy = dataclasses.replace(POLICY, **policy_changes)
    assert statement(COLLATERAL, policy=policy, assetValue=value).failures
