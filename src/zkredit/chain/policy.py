"""A lender's :class:`CreditPolicy` as the on-chain ``IZKCreditVerifier.Policy`` struct.

The struct carries every threshold the circuits take plus four terms the
off-chain policy does not: the minimum KYC level, the maximum age of the KYC
root, how long an attestation stays valid, and the tier multipliers of the
limit (from the lender's pricing). Its name on chain is
``keccak256(abi.encode(policy))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from zkredit.domain.loans import DEFAULT_PRICING
from zkredit.domain.money import currency
from zkredit.domain.policy import CreditPolicy

DAY = 86_400

# Field order and widths of IZKCreditVerifier.Policy.
POLICY_ABI_TYPE = (
    "(uint16,uint64,uint16,uint16,uint32,uint32,uint32,uint16,uint16,uint8,uint8,uint64,uint64,"
    "uint8[4])"
)


def _default_multipliers() -> tuple[int, int, int, int]:
    m = DEFAULT_PRICING.income_multiplier
    return (m[1], m[2], m[3], m[4])


@dataclass(frozen=True)
class PolicyTerms:
    """The on-chain terms a :class:`CreditPolicy` does not hold."""

    min_kyc_level: int = 1
    max_kyc_root_age_seconds: int = 30 * DAY
    attestation_validity_seconds: int = 30 * DAY
    tier_multipliers: tuple[int, int, int, int] = field(default_factory=_default_multipliers)


@dataclass(frozen=True)
class OnChainPolicy:
    """A policy as ZKCreditVerifier registers it."""

    policy: CreditPolicy
    terms: PolicyTerms = field(default_factory=PolicyTerms)

    @classmethod
    def default(cls, currency_code: str = "NGN") -> OnChainPolicy:
        """ZKredit's default policy for ``currency_code`` (DOMAIN.md)."""
        return cls(CreditPolicy.default_for(currency_code))

    def struct(self) -> tuple[Any, ...]:
        """The ``Policy`` tuple in ABI field order."""
        p, t = self.policy, self.terms
        return (
            p.currency_numeric,
            p.min_monthly_income_minor,
            p.min_employment_months,
            p.min_score,
            p.max_late,
            p.max_debt_ratio_bps,
            p.min_history_months,
            p.min_collateral_ratio_bps,
            p.max_valuation_age_days,
            p.min_age_years,
            t.min_kyc_level,
            t.max_kyc_root_age_seconds,
            t.attestation_validity_seconds,
            list(t.tier_multipliers),
        )

    @property
    def hash(self) -> bytes:
        """``keccak256(abi.encode(policy))``, as ``ZKCreditVerifier.policyHashOf``."""
        return bytes(keccak(abi_encode([POLICY_ABI_TYPE], [self.struct()])))

    @classmethod
    def from_struct(
        cls, struct: Any, denied_jurisdictions: tuple[int, ...] | None = None
    ) -> OnChainPolicy:
        """Rebuild a policy read from chain (``getPolicy``). The deny-set is not part
        of the struct: pass the KYC registry's, or the default is assumed."""
        s = list(struct)
        extra = (
            {}
            if denied_jurisdictions is None
            else {"denied_jurisdictions": tuple(denied_jurisdictions)}
        )
        policy = CreditPolicy(
            currency_code=currency(int(s[0])).code,
            min_monthly_income_minor=int(s[1]),
            min_employment_months=int(s[2]),
            min_score=int(s[3]),
            max_late=int(s[4]),
            max_debt_ratio_bps=int(s[5]),
            min_history_months=int(s[6]),
            min_collateral_ratio_bps=int(s[7]),
            max_valuation_age_days=int(s[8]),
            min_age_years=int(s[9]),
            **extra,
        )
        m = [int(v) for v in s[13]]
        terms = PolicyTerms(int(s[10]), int(s[11]), int(s[12]), (m[0], m[1], m[2], m[3]))
        return cls(policy, terms)

    def to_json(self) -> dict[str, Any]:
        p, t = self.policy, self.terms
        return {
            "hash": "0x" + self.hash.hex(),
            "currency": p.currency_code,
            "minMonthlyIncome": p.min_monthly_income_minor,
            "minEmploymentMonths": p.min_employment_months,
            "minScore": p.min_score,
            "maxLate": p.max_late,
            "maxDebtRatioBps": p.max_debt_ratio_bps,
            "minHistoryMonths": p.min_history_months,
            "minCollateralRatioBps": p.min_collateral_ratio_bps,
            "maxValuationAgeDays": p.max_valuation_age_days,
            "minAgeYears": p.min_age_years,
            "deniedJurisdictions": list(p.denied_jurisdictions),
            "minKycLevel": t.min_kyc_level,
            "maxKycRootAgeSeconds": t.max_kyc_root_age_seconds,
            "attestationValiditySeconds": t.attestation_validity_seconds,
            "tierMultipliers": list(t.tier_multipliers),
        }
