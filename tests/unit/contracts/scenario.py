"""Configuring a deployed system for one lender policy, with the product's configure step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zkredit.chain.config import DeployConfig
from zkredit.chain.configure import configure as configure_deployment
from zkredit.chain.policy import OnChainPolicy, PolicyTerms
from zkredit.domain.money import currency
from zkredit.domain.policy import CreditPolicy

from . import zkapp
from .chain import DAY, Chain, System


@dataclass
class Lender:
    """A configured system: the policy to apply under and the KYC root."""

    system: System
    thresholds: zkapp.Thresholds
    policy: tuple[Any, ...]
    policy_hash: bytes
    root: int


def on_chain_policy(
    t: zkapp.Thresholds,
    *,
    min_kyc_level: int = 1,
    max_root_age: int = 30 * DAY,
    validity: int = 30 * DAY,
    multipliers: tuple[int, int, int, int] = (8, 6, 4, 2),
) -> OnChainPolicy:
    """The product policy for the test thresholds ``t``."""
    policy = CreditPolicy(
        currency_code=currency(t.currency).code,
        min_monthly_income_minor=t.min_monthly_income,
        min_employment_months=t.min_employment_months,
        min_score=t.min_score,
        max_late=t.max_late,
        max_debt_ratio_bps=t.max_debt_ratio_bps,
        min_history_months=t.min_history_months,
        min_collateral_ratio_bps=t.min_collateral_ratio_bps,
        max_valuation_age_days=t.max_valuation_age_days,
        min_age_years=t.min_age_years,
        denied_jurisdictions=tuple(t.deny_codes),
    )
    return OnChainPolicy(policy, PolicyTerms(min_kyc_level, max_root_age, validity, multipliers))


def configure(
    chain: Chain,
    system: System,
    borrower: zkapp.Borrower,
    thresholds: zkapp.Thresholds,
    root: int,
    **policy_options: Any,
) -> Lender:
    """Grant the admin every operational role, publish ``root``, set the deny-set,
    trust the borrower's issuers and register the policy (idempotent)."""
    policy = on_chain_policy(thresholds, **policy_options)
    config = DeployConfig(
        policy=policy,
        issuers={
            cred_type: [borrower.issuers[name].pub]
            for cred_type, name in enumerate(zkapp.CIRCUITS, start=1)
        },
        kyc_roots=(root,),
    )
    deployer = chain.client.account(system.admin)
    configure_deployment(chain.client, system.deployment, config, deployer)
    return Lender(system, thresholds, policy.struct(), policy.hash, root)


def noon_of_next_day(chain: Chain) -> int:
    """Move the chain to 12:00 UTC of the next day, away from midnight."""
    noon = (chain.now() // DAY + 1) * DAY + 12 * 3600
    chain.travel_to(noon)
    return noon


def dates_at(system: System, timestamp: int) -> tuple[int, int, int]:
    today, month, ymd = system.zk.functions.dateInputs(timestamp).call()
    return int(today), int(month), int(ymd)
