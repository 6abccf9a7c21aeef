"""The lender's credit policy: thresholds as scaled integers (DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from zkredit.domain.money import Money, currency
from zkredit.errors import InputError

# Default minimum monthly income per currency, in major units (DOMAIN.md).
DEFAULT_MIN_MONTHLY_INCOME = {"NGN": 500_000, "SGD": 800, "PHP": 20_000, "USD": 600}

# ISO 3166-1 numeric codes denied by default (sample deny-set; 0 = empty slot).
DEFAULT_DENIED_JURISDICTIONS = (408, 364, 760, 192, 0, 0, 0, 0)  # KP, IR, SY, CU

TIER_NAMES = {1: "Exceptional", 2: "VeryGood", 3: "Good", 4: "Fair", 5: "Poor"}
TIER_BOUNDS = ((800, 1), (740, 2), (670, 3), (580, 4))


def score_tier(score: int) -> int:
    """The score band (tier 1-5) of a bureau score, exactly as the circuit computes it."""
    for bound, tier in TIER_BOUNDS:
        if score >= bound:
            return tier
    return 5


@dataclass(frozen=True)
class CreditPolicy:
    """Public thresholds every proof is checked against."""

    currency_code: str = "NGN"
    min_monthly_income_minor: int = 50_000_000
    min_employment_months: int = 6
    min_score: int = 700
    max_late: int = 3
    max_debt_ratio_bps: int = 3500
    min_history_months: int = 24
    min_collateral_ratio_bps: int = 5000
    max_valuation_age_days: int = 365
    min_age_years: int = 18
    denied_jurisdictions: tuple[int, ...] = field(default=DEFAULT_DENIED_JURISDICTIONS)

    @classmethod
    def default_for(cls, code: str) -> CreditPolicy:
        """The default policy for a currency with a default minimum income (DOMAIN.md)."""
        cur = currency(code)
        major = DEFAULT_MIN_MONTHLY_INCOME.get(cur.code)
        if major is None:
            known = ", ".join(sorted(DEFAULT_MIN_MONTHLY_INCOME))
            raise InputError(
                f"no default minimum monthly income for {cur.code}",
                hint=f"Lenders set one per currency; defaults exist for {known}.",
            )
        return cls(currency_code=cur.code, min_monthly_income_minor=major * 10**cur.exponent)

    @property
    def min_monthly_income(self) -> Money:
        return Money(self.min_monthly_income_minor, currency(self.currency_code))

    @property
    def currency_numeric(self) -> int:
        return currency(self.currency_code).numeric
