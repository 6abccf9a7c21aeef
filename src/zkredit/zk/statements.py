"""Input builders: domain objects -> circuit inputs, with a Python pre-check.

For each circuit, a builder takes the holder's secret, the signed credential,
the lender's policy and the proof context, and returns a :class:`Statement`:
the exact circom input plus the list of policy conditions the data fails.
Proving a false statement would only yield a proof that does not verify, so
:meth:`Statement.require_true` raises :class:`StatementFalse` naming each
failing condition before any proving work starts. Those messages are for the
worker alone and are never sent to another party.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from zkredit.domain.policy import CreditPolicy
from zkredit.errors import InputError, StatementFalse, UntrustedIssuerError
from zkredit.zk.babyjub import Point
from zkredit.zk.credentials import CredentialType, SignedCredential, identity_commitment
from zkredit.zk.field import to_field
from zkredit.zk.merkle import MerkleProof
from zkredit.zk.poseidon import poseidon

EPOCH = dt.date(1970, 1, 1)


def month_index(day: dt.date) -> int:
    """``year * 12 + (month - 1)``: the month unit the income circuit uses."""
    return day.year * 12 + day.month - 1


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01: the day unit the collateral circuit uses."""
    return (day - EPOCH).days


def ymd(day: dt.date) -> int:
    """``YYYYMMDD`` as an integer: the date unit the identity circuit uses."""
    return day.year * 10000 + day.month * 100 + day.day


def deny_list_hash(denied: tuple[int, ...]) -> int:
    if len(denied) != 8:
        raise InputError(f"the jurisdiction deny-set has exactly 8 slots. Got {len(denied)}")
    return poseidon(list(denied))


@dataclass(frozen=True)
class ProofContext:
    """What binds a proof to one application: scope, submitting wallet and date."""

    scope: int
    wallet: int
    today: dt.date

    @classmethod
    def for_wallet(cls, scope: int, wallet: str | int, today: dt.date) -> ProofContext:
        addr = int(wallet, 16) if isinstance(wallet, str) else wallet
        if not 0 <= addr < 1 << 160:
            raise InputError(f"wallet must be a 20-byte address. Got {wallet!r}")
        return cls(to_field(scope, name="scope"), addr, today)


@dataclass(frozen=True)
class Statement:
    """A circuit input and the policy conditions it fails (empty when true)."""

    circuit: str
    inputs: dict[str, Any]
    failures: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.failures

    def require_true(self) -> Statement:
        if self.failures:
            raise StatementFalse(self.circuit, self.failures)
        return self


def _thresholds(failures: list[str], **bounded: tuple[int, int]) -> None:
    """Flag policy thresholds wider than the circuit's range checks (no proof could exist)."""
    for name, (value, bits) in bounded.items():
        if not 0 <= value < 1 << bits:
            failures.append(
                f"{name}: the policy threshold {value} is outside the circuit's "
                f"{bits}-bit range [0, 2^{bits})"
            )


def _common(
    secret: int,
    signed: SignedCredential,
    expected: CredentialType,
    ctx: ProofContext,
    trusted: Point | None,
) -> dict[str, Any]:
    if signed.type is not expected:
        raise InputError(
            f"the {expected.circuit} statement needs a {expected.label} credential, "
            f"got a {signed.type.label} credential"
        )
    if trusted is not None and signed.issuer != trusted:
        raise UntrustedIssuerError(
            f"the {signed.type.label} credential is signed by a key that is not trusted for "
            "this credential type",
            hint="Ask a trusted issuer to sign it, or check the registry's issuer keys.",
        )
    signed.require_valid()
    if identity_commitment(secret) != signed.credential.subject:
        raise InputError(
            f"the {signed.type.label} credential was issued to another identity "
            "(its subject is not Poseidon(your identity secret))"
        )
    sig = signed.signature
    return {
        "identitySecret": secret,
        "sigR8x": sig.R8.x,
        "sigR8y": sig.R8.y,
        "sigS": sig.S,
        "issuerAx": signed.issuer.x,
        "issuerAy": signed.issuer.y,
        "scope": ctx.scope,
        "wallet": ctx.wallet,
    }


def income_statement(
    secret: int,
    signed: SignedCredential,
    policy: CreditPolicy,
    ctx: ProofContext,
    trusted: Point | None = None,
) -> Statement:
    inputs = _common(secret, signed, CredentialType.INCOME, ctx, trusted)
    cred = signed.credential
    incomes = cred.get_list("monthlyIncome")
    start = cred.get("employmentStartMonth")
    now = month_index(ctx.today)
    failures: list[str] = []
    _thresholds(
        failures,
        minMonthlyIncome=(policy.min_monthly_income_minor, 64),
        minEmploymentMonths=(policy.min_employment_months, 16),
    )
    if cred.get("currency") != policy.currency_numeric:
        failures.append(
            f"currency: income is paid in ISO {cred.get('currency')}, the policy needs "
            f"{policy.currency_code} ({policy.currency_numeric})"
        )
    for i, amount in enumerate(incomes):
        if amount < policy.min_monthly_income_minor:
            failures.append(
                f"minMonthlyIncome: month {i + 1} income {amount} is below "
                f"{policy.min_monthly_income_minor} ({policy.currency_code} minor units)"
            )
    if start + policy.min_employment_months > now:
        failures.append(
            f"minEmploymentMonths: employed {max(now - start, 0)} months, "
            f"needs {policy.min_employment_months}"
        )
    inputs.update(
        income=list(incomes),
        employmentStartMonth=start,
        minMonthlyIncome=policy.min_monthly_income_minor,
        minEmploymentMonths=policy.min_employment_months,
        currency=policy.currency_numeric,
        currentMonth=now,
    )
    return Statement("income", inputs, failures)


def credit_history_statement(
    secret: int,
    signed: SignedCredential,
    policy: CreditPolicy,
    ctx: ProofContext,
    trusted: Point | None = None,
) -> Statement:
    inputs = _common(secret, signed, CredentialType.CREDIT_HISTORY, ctx, trusted)
    c = signed.credential
    score, late = c.get("score"), c.get("latePayments")
    debt, history, defaults = c.get("debtRatioBps"), c.get("historyMonths"), c.get("defaults")
    failures: list[str] = []
    _thresholds(
        failures,
        minScore=(policy.min_score, 16),
        maxLate=(policy.max_late, 32),
        maxDebtRatioBps=(policy.max_debt_ratio_bps, 32),
        minHistoryMonths=(policy.min_history_months, 32),
    )
    if score < policy.min_score:
        failures.append(f"minScore: score {score} is below {policy.min_score}")
    if defaults != 0:
        failures.append(f"defaults: {defaults} default(s) on record, none are allowed")
    if late > policy.max_late:
        failures.append(f"maxLate: {late} late payments in 24 months, at most {policy.max_late}")
    if debt > policy.max_debt_ratio_bps:
        failures.append(
            f"maxDebtRatioBps: debt ratio {debt} bp is above {policy.max_debt_ratio_bps} bp"
        )
    if history < policy.min_history_months:
        failures.append(
            f"minHistoryMonths: {history} months of history, needs {policy.min_history_months}"
        )
    inputs.update(
        score=score,
        historyMonths=history,
        defaults=defaults,
        latePayments=late,
        debtRatioBps=debt,
        minScore=policy.min_score,
        maxLate=policy.max_late,
        maxDebtRatioBps=policy.max_debt_ratio_bps,
        minHistoryMonths=policy.min_history_months,
    )
    return Statement("credit_history", inputs, failures)


def collateral_statement(
    secret: int,
    signed: SignedCredential,
    policy: CreditPolicy,
    ctx: ProofContext,
    loan_amount_minor: int,
    trusted: Point | None = None,
) -> Statement:
    inputs = _common(secret, signed, CredentialType.COLLATERAL, ctx, trusted)
    if isinstance(loan_amount_minor, bool) or not isinstance(loan_amount_minor, int):
        raise InputError(
            f"loan amount must be an integer in minor units. Got {loan_amount_minor!r}"
        )
    if not 0 < loan_amount_minor < 1 << 64:
        raise InputError(f"loan amount must be positive and below 2^64. Got {loan_amount_minor}")
    c = signed.credential
    value, lien, valued = c.get("assetValue"), c.get("lienFlag"), c.get("valuationDay")
    today = day_number(ctx.today)
    failures: list[str] = []
    _thresholds(
        failures,
        minCollateralRatioBps=(policy.min_collateral_ratio_bps, 16),
        maxValuationAgeDays=(policy.max_valuation_age_days, 16),
    )
    if c.get("currency") != policy.currency_numeric:
        failures.append(
            f"currency: collateral is valued in ISO {c.get('currency')}, the loan is in "
            f"{policy.currency_code}"
        )
    if value * 10000 < loan_amount_minor * policy.min_collateral_ratio_bps:
        failures.append(
            f"minCollateralRatioBps: collateral covers {value * 10000 // loan_amount_minor} bp "
            f"of the loan, needs {policy.min_collateral_ratio_bps} bp"
        )
    if lien != 0:
        failures.append("lien: the asset carries a lien")
    if valued + policy.max_valuation_age_days < today:
        failures.append(
            f"maxValuationAgeDays: valuation is {today - valued} days old, at most "
            f"{policy.max_valuation_age_days}"
        )
    if valued > today:
        failures.append("valuationDay: the valuation is dated in the future")
    inputs.update(
        assetValue=value,
        assetType=c.get("assetType"),
        lienFlag=lien,
        valuationDay=valued,
        loanAmount=loan_amount_minor,
        currency=policy.currency_numeric,
        minCollateralRatioBps=policy.min_collateral_ratio_bps,
        today=today,
        maxValuationAgeDays=policy.max_valuation_age_days,
    )
    return Statement("collateral", inputs, failures)


def identity_statement(
    secret: int,
    signed: SignedCredential,
    policy: CreditPolicy,
    ctx: ProofContext,
    membership: MerkleProof,
    trusted: Point | None = None,
) -> Statement:
    inputs = _common(secret, signed, CredentialType.KYC, ctx, trusted)
    c = signed.credential
    birth, juris, level = c.get("birthDate"), c.get("jurisdiction"), c.get("kycLevel")
    today = ymd(ctx.today)
    failures: list[str] = []
    _thresholds(failures, minAgeYears=(policy.min_age_years, 8))
    if membership.leaf != identity_commitment(secret) or not membership.verify():
        failures.append("kycRoot: your identity commitment is not in the KYC provider's tree")
    if birth + policy.min_age_years * 10000 > today:
        failures.append(f"minAgeYears: younger than {policy.min_age_years} years today")
    if juris == 0 or juris in policy.denied_jurisdictions:
        failures.append(f"jurisdiction: {juris} is in the policy's deny-set")
    inputs.update(
        birthDate=birth,
        jurisdiction=juris,
        kycLevel=level,
        pathElements=list(membership.path_elements),
        pathIndices=list(membership.path_indices),
        deniedJurisdictions=list(policy.denied_jurisdictions),
        kycRoot=membership.root,
        todayYmd=today,
        minAgeYears=policy.min_age_years,
        denyListHash=deny_list_hash(policy.denied_jurisdictions),
    )
    return Statement("identity", inputs, failures)
