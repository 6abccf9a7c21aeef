"""The credit decision (DOMAIN.md): approve with tier, limit, APR and schedule, or decline.

The lender sees only what the proofs establish: whether each proof verified and
matched the policy, and the score band (tier) the credit-history proof outputs.
The decision is a pure function of that evidence, the request and the policy.

* Limit: ``min(requested, minMonthlyIncome × multiplier(tier))``, multipliers
  8, 6, 4, 2 for tiers 1-4; tier 5 is declined.
* APR: 800 bp plus a tier premium of 0, 200, 450 or 800 bp.
* Repayment: an amortised annuity over the requested term (:mod:`.amortization`).

A decline lists every failed condition and the alternatives they suggest, in a
fixed order, without duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from zkredit.domain.amortization import Schedule, amortise
from zkredit.domain.money import Money
from zkredit.domain.policy import TIER_NAMES, CreditPolicy
from zkredit.domain.rounding import to_decimal_str
from zkredit.errors import InputError

REBUILD_CREDIT_MONTHS = 12
"""How long a tier-5 applicant is told to build on-time history before re-applying."""


@dataclass(frozen=True)
class Pricing:
    """The lender's tier pricing: base APR, tier premiums and income multipliers."""

    base_apr_bps: int = 800
    premium_bps: dict[int, int] = field(
        default_factory=lambda: {1: 0, 2: 200, 3: 450, 4: 800}, hash=False
    )
    income_multiplier: dict[int, int] = field(
        default_factory=lambda: {1: 8, 2: 6, 3: 4, 4: 2}, hash=False
    )

    def lends_to(self, tier: int) -> bool:
        """True when ``tier`` has a price (tiers 1-4 by default)."""
        return tier in self.premium_bps and tier in self.income_multiplier

    def apr_bps(self, tier: int) -> int:
        """``base + premium(tier)`` in bp."""
        return self.base_apr_bps + self.premium_bps[tier]

    def limit(self, requested: Money, min_monthly_income: Money, tier: int) -> Money:
        """``min(requested, minMonthlyIncome × multiplier(tier))``."""
        if requested.currency != min_monthly_income.currency:
            raise InputError(
                f"the request is in {requested.currency} but the policy lends in "
                f"{min_monthly_income.currency}"
            )
        cap = min_monthly_income.minor * self.income_multiplier[tier]
        return Money(min(requested.minor, cap), requested.currency)


DEFAULT_PRICING = Pricing()


class Condition(StrEnum):
    """A condition of approval the lender can check (DOMAIN.md, Decision)."""

    INCOME_PROOF = "income_proof"
    CREDIT_HISTORY_PROOF = "credit_history_proof"
    COLLATERAL_PROOF = "collateral_proof"
    IDENTITY_PROOF = "identity_proof"
    PUBLIC_INPUTS_MATCH_POLICY = "public_inputs_match_policy"
    ISSUERS_TRUSTED = "issuers_trusted"
    KYC_ROOT_RECENT = "kyc_root_recent"
    NULLIFIER_UNUSED = "nullifier_unused"
    LENDING_TIER = "lending_tier"


@dataclass(frozen=True)
class Evidence:
    """What the lender established off chain about one application.

    Each flag is True when the condition holds. ``tier`` is the public output of
    the credit-history proof, None when that proof is missing or invalid.
    """

    income_proof: bool
    credit_history_proof: bool
    collateral_proof: bool
    identity_proof: bool
    public_inputs_match_policy: bool
    issuers_trusted: bool
    kyc_root_recent: bool
    nullifier_unused: bool
    tier: int | None

    def failed(self) -> tuple[Condition, ...]:
        """The proof and integrity conditions that do not hold, in declaration order."""
        return tuple(c for c in Condition if c in _FLAGS and not getattr(self, c.value))


_FLAGS = frozenset(Condition) - {Condition.LENDING_TIER}


class AlternativeKind(StrEnum):
    """Kinds of advice a decline can give."""

    SMALLER_AMOUNT = "smaller_amount"
    MORE_COLLATERAL = "more_collateral"
    REAPPLY_LATER = "reapply_later"
    COMPLETE_KYC = "complete_kyc"
    REFRESH_PROOFS = "refresh_proofs"
    NEW_APPLICATION = "new_application"


@dataclass(frozen=True)
class Alternative:
    """One thing the applicant can do instead; ``months`` for re-application advice."""

    kind: AlternativeKind
    text: str
    months: int | None = None


@dataclass(frozen=True)
class DeclineReason:
    """One failed condition and what it means."""

    condition: Condition
    message: str


@dataclass(frozen=True)
class Approved:
    """An approval: tier, granted limit, price and the full repayment schedule."""

    tier: int
    tier_name: str
    requested: Money
    limit: Money
    apr_bps: int
    schedule: Schedule

    @property
    def reduced(self) -> bool:
        """True when the limit is below what was requested."""
        return self.limit.minor < self.requested.minor

    @property
    def monthly_payment(self) -> Money:
        """The regular monthly payment."""
        return self.schedule.monthly_payment

    @property
    def total_interest(self) -> Money:
        """Total interest over the term: the cost of the credit."""
        return self.schedule.total_interest

    @property
    def total_repayable(self) -> Money:
        """Principal plus total interest."""
        return self.schedule.total_repayable


@dataclass(frozen=True)
class Declined:
    """A decline: every failed condition, and alternatives driven by them."""

    reasons: tuple[DeclineReason, ...]
    alternatives: tuple[Alternative, ...]


Decision = Approved | Declined


def decide(
    evidence: Evidence,
    requested: Money,
    term_months: int,
    policy: CreditPolicy,
    pricing: Pricing = DEFAULT_PRICING,
) -> Decision:
    """The deterministic credit decision for one application."""
    if requested.minor <= 0:
        raise InputError(f"the requested amount must be positive. Got {requested}")
    if requested.currency != policy.min_monthly_income.currency:
        raise InputError(
            f"the request is in {requested.currency} but this policy lends in "
            f"{policy.currency_code}",
            hint=f"apply in {policy.currency_code}",
        )
    failed = list(evidence.failed())
    tier = evidence.tier
    if evidence.credit_history_proof:
        if tier is None or tier not in TIER_NAMES:
            raise InputError(f"a verified credit-history proof outputs a tier 1-5. Got {tier!r}")
        if not pricing.lends_to(tier):
            failed.append(Condition.LENDING_TIER)
    if failed or tier is None:
        return _decline(failed, tier, policy)
    limit = pricing.limit(requested, policy.min_monthly_income, tier)
    apr = pricing.apr_bps(tier)
    return Approved(
        tier=tier,
        tier_name=TIER_NAMES[tier],
        requested=requested,
        limit=limit,
        apr_bps=apr,
        schedule=amortise(limit, apr, term_months),
    )


def _decline(failed: list[Condition], tier: int | None, policy: CreditPolicy) -> Declined:
    reasons = tuple(DeclineReason(c, _message(c, tier)) for c in failed)
    alternatives: list[Alternative] = []
    for condition in failed:
        for alt in _alternatives(condition, policy):
            if alt not in alternatives:
                alternatives.append(alt)
    return Declined(reasons, tuple(alternatives))


def _message(condition: Condition, tier: int | None) -> str:
    if condition is Condition.LENDING_TIER:
        name = TIER_NAMES.get(tier or 5, "unknown")
        return f"score band {name} (tier {tier}) is outside the lending tiers"
    messages = {
        Condition.INCOME_PROOF: "the income proof is missing or invalid",
        Condition.CREDIT_HISTORY_PROOF: "the credit-history proof is missing or invalid",
        Condition.COLLATERAL_PROOF: "the collateral proof is missing or invalid",
        Condition.IDENTITY_PROOF: "the identity (KYC) proof is missing or invalid",
        Condition.PUBLIC_INPUTS_MATCH_POLICY: "the proofs were made for a different policy",
        Condition.ISSUERS_TRUSTED: "a credential is signed by an issuer that is not trusted",
        Condition.KYC_ROOT_RECENT: "the identity proof uses a KYC root that is no longer recent",
        Condition.NULLIFIER_UNUSED: "these proofs were already used for an application",
    }
    return messages[condition]


def _alternatives(condition: Condition, policy: CreditPolicy) -> tuple[Alternative, ...]:
    income = policy.min_monthly_income
    percent = to_decimal_str(Fraction(policy.min_collateral_ratio_bps, 100), 2)
    smaller = Alternative(
        AlternativeKind.SMALLER_AMOUNT,
        f"apply for a smaller amount: collateral must be worth at least {percent} % of it",
    )
    more_collateral = Alternative(
        AlternativeKind.MORE_COLLATERAL,
        "apply for a secured loan with more collateral, free of liens and recently valued",
    )
    table: dict[Condition, tuple[Alternative, ...]] = {
        Condition.INCOME_PROOF: (
            Alternative(
                AlternativeKind.REAPPLY_LATER,
                f"re-apply after {policy.min_employment_months} months of employment with "
                f"an income of at least {income} every month",
                policy.min_employment_months,
            ),
            more_collateral,
        ),
        Condition.CREDIT_HISTORY_PROOF: (
            Alternative(
                AlternativeKind.REAPPLY_LATER,
                f"re-apply after {policy.min_history_months} months of credit history with "
                f"no defaults and at most {policy.max_late} late payments",
                policy.min_history_months,
            ),
            more_collateral,
        ),
        Condition.COLLATERAL_PROOF: (smaller, more_collateral),
        Condition.IDENTITY_PROOF: (
            Alternative(AlternativeKind.COMPLETE_KYC, "complete KYC with a trusted provider"),
        ),
        Condition.PUBLIC_INPUTS_MATCH_POLICY: (
            Alternative(AlternativeKind.REFRESH_PROOFS, "prove again against the current policy"),
        ),
        Condition.ISSUERS_TRUSTED: (
            Alternative(
                AlternativeKind.REFRESH_PROOFS,
                "obtain the credential from an issuer trusted by the lender and prove again",
            ),
        ),
        Condition.KYC_ROOT_RECENT: (
            Alternative(
                AlternativeKind.REFRESH_PROOFS, "prove identity again against the current KYC root"
            ),
        ),
        Condition.NULLIFIER_UNUSED: (
            Alternative(
                AlternativeKind.NEW_APPLICATION, "start a new application with a fresh scope"
            ),
        ),
        Condition.LENDING_TIER: (
            Alternative(
                AlternativeKind.REAPPLY_LATER,
                f"re-apply after {REBUILD_CREDIT_MONTHS} months of on-time payments",
                REBUILD_CREDIT_MONTHS,
            ),
            more_collateral,
        ),
    }
    return table[condition]
