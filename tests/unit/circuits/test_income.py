"""income.circom: every condition at its boundary and one unit past it."""

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
from zkredit.scenarios import EXAMPLE_DATE
from zkredit.zk.credentials import Credential, CredentialType, identity_commitment
from zkredit.zk.field import SNARK_SCALAR_FIELD
from zkredit.zk.statements import month_index

INCOME = CredentialType.INCOME
POLICY = CreditPolicy.default_for("NGN")
MIN = POLICY.min_monthly_income_minor
MIN_EMP = POLICY.min_employment_months
NOW = month_index(EXAMPLE_DATE)
HIGH = 75_000_000
NGN = POLICY.currency_numeric

BELOW_MIN = ("minMonthlyIncome", "enough[i].b <== minMonthlyIncome", "AssertLessEq")
TOO_SHORT = ("minEmploymentMonths", "tenure.b <== currentMonth", "AssertLessEq")
BAD_SIGNATURE = ("currency", "cred.sigS <== sigS", "ForceEqualIfEnabled")


def months(**at: int) -> tuple[int, ...]:
    """Six monthly incomes, HIGH except the given positions (m0 = oldest, m5 = latest)."""
    return tuple(at.get(f"m{i}", HIGH) for i in range(6))


@pytest.mark.parametrize(
    ("incomes", "fails"),
    [
        pytest.param(months(m0=MIN), None, id="first-month-at-min"),
        pytest.param(months(m0=MIN - 1), BELOW_MIN, id="first-month-one-below"),
        pytest.param(months(m5=MIN), None, id="last-month-at-min"),
        pytest.param(months(m5=MIN - 1), BELOW_MIN, id="last-month-one-below"),
        pytest.param(months(m2=MIN - 1), BELOW_MIN, id="middle-month-one-below"),
        pytest.param((MIN,) * 6, None, id="all-months-at-min"),
        pytest.param((MIN - 1,) * 6, BELOW_MIN, id="all-months-one-below"),
        pytest.param((MIN,) * 5 + (MIN - 1,), BELOW_MIN, id="all-at-min-but-last"),
        pytest.param((0,) * 6, BELOW_MIN, id="no-income"),
    ],
)
def test_min_monthly_income(
    income: Circuit, incomes: tuple[int, ...], fails: tuple[str, str, str] | None
) -> None:
    stmt = statement(INCOME, monthlyIncome=incomes)
    check(income, stmt, fails)


U64 = (1 << 64) - 1


@pytest.mark.parametrize(
    ("minimum", "incomes", "fails"),
    [
        pytest.param(0, (0,) * 6, None, id="no-minimum-no-income"),
        pytest.param(U64, (U64,) * 6, None, id="minimum-2^64-1"),
        pytest.param(
            U64,
            (U64,) * 3 + (U64 - 1,) + (U64,) * 2,
            BELOW_MIN,
            id="minimum-2^64-1-one-month-below",
        ),
        # a minimum no credential can reach: both sides refuse, the circuit by range check
        pytest.param(
            U64 + 1,
            (U64,) * 6,
            ("minMonthlyIncome", "enough[i].b <== minMonthlyIncome", "Num2Bits"),
            id="minimum-2^64",
        ),
    ],
)
def test_min_monthly_income_other_policies(
    income: Circuit,
    minimum: int,
    incomes: tuple[int, ...],
    fails: tuple[str, str, str] | None,
) -> None:
    policy = dataclasses.replace(POLICY, min_monthly_income_minor=minimum)
    check(income, statement(INCOME, policy=policy, monthlyIncome=incomes), fails)


@pytest.mark.parametrize(
    ("start", "min_emp", "fails"),
    [
        pytest.param(NOW - MIN_EMP, MIN_EMP, None, id="employed-exactly-min-months"),
        pytest.param(NOW - MIN_EMP + 1, MIN_EMP, TOO_SHORT, id="one-month-short"),
        pytest.param(NOW - 36, 36, None, id="36-of-36"),
        pytest.param(NOW - 35, 36, TOO_SHORT, id="35-of-36"),
        pytest.param(NOW, 0, None, id="no-minimum-started-this-month"),
        pytest.param(NOW + 1, 0, TOO_SHORT, id="no-minimum-starts-next-month"),
    ],
)
def test_min_employment_months(
    income: Circuit, start: int, min_emp: int, fails: tuple[str, str, str] | None
) -> None:
    policy = dataclasses.replace(POLICY, min_employment_months=min_emp)
    stmt = statement(INCOME, policy=policy, employmentStartMonth=start)
    check(income, stmt, fails)


@pytest.mark.parametrize(
    ("code", "cred_currency", "fails"),
    [
        pytest.param("NGN", NGN, None, id="NGN-policy-NGN-credential"),
        pytest.param("NGN", NGN - 1, BAD_SIGNATURE, id="NGN-policy-ISO-565"),
        pytest.param("NGN", NGN + 1, BAD_SIGNATURE, id="NGN-policy-ISO-567"),
        pytest.param("NGN", 702, BAD_SIGNATURE, id="NGN-policy-SGD-credential"),
        pytest.param("SGD", 702, None, id="SGD-policy-SGD-credential"),
        pytest.param("SGD", NGN, BAD_SIGNATURE, id="SGD-policy-NGN-credential"),
    ],
)
def test_currency_must_match_policy(
    income: Circuit, code: str, cred_currency: int, fails: tuple[str, str, str] | None
) -> None:
    """The credential is signed over its own currency; the circuit hashes the public one,
    so a credential in another currency no longer verifies."""
    stmt = statement(INCOME, policy=CreditPolicy.default_for(code), currency=cred_currency)
    check(income, stmt, fails)


P = SNARK_SCALAR_FIELD
TWO_64 = 1 << 64


@pytest.mark.parametrize("month", [0, 5])
@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param(TWO_64 - 1, True, id="2^64-1"),
        pytest.param(TWO_64, False, id="2^64"),
        pytest.param(TWO_64 + MIN, False, id="2^64+min"),
        pytest.param(1 << 200, False, id="2^200"),
        pytest.param(P - 1, False, id="p-1"),
    ],
)
def test_income_range_checked_to_64_bits(income: Circuit, month: int, value: int, ok: bool) -> None:
    """A properly signed income of 2^64 or more is refused by the circuit's own range check.

    Credential.build refuses such a value, so the signature is made by hand over the
    raw field list [1, subject, currency, income[0..5], employmentStartMonth].
    """
    incomes = list(months())
    incomes[month] = value
    base = statement(INCOME).inputs
    fields = [1, identity_commitment(SECRET), NGN, *incomes, base["employmentStartMonth"]]
    inputs = resign(INCOME, {**base, "income": incomes}, fields)
    if ok:
        out = income.public(inputs)
        assert out["minMonthlyIncome"] == MIN
        # the builders agree: the same value is accepted through Credential.build
        assert statement(INCOME, monthlyIncome=tuple(incomes)).failures == []
    else:
        income.reject(inputs, "enough[i].b <== minMonthlyIncome", "Num2Bits")
        with pytest.raises(FieldRangeError, match="monthlyIncome"):
            Credential.build(
                INCOME,
                identity_commitment(SECRET),
                {
                    "currency": NGN,
                    "monthlyIncome": incomes,
                    "employmentStartMonth": base["employmentStartMonth"],
                },
            )


def test_hand_signed_input_equals_builder_input() -> None:
    """Guards the hand-built inputs above: re-signing the builder's own fields changes nothing."""
    stmt = statement(INCOME)
    i = stmt.inputs
    fields = [1, identity_commitment(SECRET), NGN, *i["income"], i["employmentStartMonth"]]
    assert resign(INCOME, i, fields) == i
