"""Typed wrappers, one small class per contract, with the methods the product uses."""

from __future__ import annotations

from zkredit.chain.contracts.anchor import ANCHOR_ROLE, AnchorRecord, AuditAnchor
from zkredit.chain.contracts.base import DEFAULT_ADMIN_ROLE, AccessControlled, role
from zkredit.chain.contracts.credit import AttestationRecord, CreditRegistry, PendingVerifier
from zkredit.chain.contracts.identity import IdentityRegistry
from zkredit.chain.contracts.kyc import (
    ISSUER_ADMIN_ROLE,
    KYC_PROVIDER_ROLE,
    KycRegistry,
    RootInfo,
)
from zkredit.chain.contracts.kyc import POLICY_ADMIN_ROLE as KYC_POLICY_ADMIN_ROLE
from zkredit.chain.contracts.reputation import FeedbackSummary, ReputationRegistry
from zkredit.chain.contracts.token import MINTER_ROLE, ZkUsd
from zkredit.chain.contracts.verifier import (
    APPLICATION_GAS,
    PAUSER_ROLE,
    POLICY_ADMIN_ROLE,
    SINGLE_PROOF_GAS,
    DateInputs,
    ProofCheck,
    ZKCreditVerifier,
)

__all__ = [
    "ANCHOR_ROLE",
    "APPLICATION_GAS",
    "DEFAULT_ADMIN_ROLE",
    "ISSUER_ADMIN_ROLE",
    "KYC_POLICY_ADMIN_ROLE",
    "KYC_PROVIDER_ROLE",
    "MINTER_ROLE",
    "PAUSER_ROLE",
    "POLICY_ADMIN_ROLE",
    "SINGLE_PROOF_GAS",
    "AccessControlled",
    "AnchorRecord",
    "AttestationRecord",
    "AuditAnchor",
    "CreditRegistry",
    "DateInputs",
    "FeedbackSummary",
    "IdentityRegistry",
    "KycRegistry",
    "PendingVerifier",
    "ProofCheck",
    "ReputationRegistry",
    "RootInfo",
    "ZKCreditVerifier",
    "ZkUsd",
    "role",
]
