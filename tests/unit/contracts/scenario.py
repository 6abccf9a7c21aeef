"""Wiring a deployed system for one lender policy: roles, root, deny-set, issuers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import zkapp
from .chain import DAY, Chain, System, role


@dataclass
class Lender:
    """A configured system: the policy to apply under and the KYC root."""

    system: System
    thresholds: zkapp.Thresholds
    policy: tuple[Any, ...]
    policy_hash: bytes
    root: int


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
    admin = system.admin
    kyc, zk = system.kyc.functions, system.zk.functions
    for name in ("KYC_PROVIDER_ROLE", "ISSUER_ADMIN_ROLE", "POLICY_ADMIN_ROLE"):
        if not kyc.hasRole(role(name), admin).call():
            chain.tx(kyc.grantRole(role(name), admin), admin)
    for name in ("POLICY_ADMIN_ROLE", "PAUSER_ROLE"):
        if not zk.hasRole(role(name), admin).call():
            chain.tx(zk.grantRole(role(name), admin), admin)
    if kyc.rootTimestamp(root).call() == 0:
        chain.tx(kyc.publishRoot(root), admin)
    if kyc.denyListHash().call() != thresholds.deny_list_hash:
        chain.tx(kyc.setDenyList(list(thresholds.deny_codes), thresholds.deny_list_hash), admin)
    for cred_type, name in enumerate(zkapp.CIRCUITS, start=1):
        ax, ay = borrower.issuers[name].pub
        if not kyc.isTrustedIssuer(cred_type, ax, ay).call():
            chain.tx(kyc.addIssuer(cred_type, ax, ay), admin)
    policy = zkapp.policy_tuple(thresholds, **policy_options)
    policy_hash = zkapp.keccak_abi(zkapp.POLICY_TYPE, policy)
    if not zk.isPolicyActive(policy_hash).call():
        chain.tx(zk.registerPolicy(policy), admin)
    return Lender(system, thresholds, policy, policy_hash, root)


def noon_of_next_day(chain: Chain) -> int:
    """Move the chain to 12:00 UTC of the next day, away from midnight."""
    noon = (chain.now() // DAY + 1) * DAY + 12 * 3600
    chain.travel_to(noon)
    return noon


def dates_at(system: System, timestamp: int) -> tuple[int, int, int]:
    today, month, ymd = system.zk.functions.dateInputs(timestamp).call()
    return int(today), int(month), int(ymd)
