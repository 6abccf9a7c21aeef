"""The acceptance scenarios of DOMAIN.md as data: people, credentials, issuers.

Demo issuer keys and identity secrets are derived from fixed labels so that
runs and committed examples are reproducible. They are demo material: real
issuers generate keys with :meth:`IssuerKey.generate` and real workers get a
random identity secret from the worker agent's vault.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkredit.domain.policy import CreditPolicy
from zkredit.issuers.registry import Issuer, IssuerRegistry, label_derived_key
from zkredit.zk.credentials import (
    Credential,
    CredentialType,
    SignedCredential,
    identity_commitment,
    issue,
)
from zkredit.zk.eddsa import IssuerKey
from zkredit.zk.field import SNARK_SCALAR_FIELD
from zkredit.zk.merkle import MerkleTree
from zkredit.zk.statements import (
    ProofContext,
    Statement,
    collateral_statement,
    credit_history_statement,
    day_number,
    identity_statement,
    income_statement,
    month_index,
)

EXAMPLE_DATE = dt.date(2026, 11, 25)
EXAMPLE_SCOPE = 0x5CA1AB1E
EXAMPLE_WALLET = "0x00000000000000000000000000000000000000aa"


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"zkredit demo: {label}".encode()).digest()


def demo_issuer(role: str) -> IssuerKey:
    """The demo key of an issuer role: employer, bureau, custodian, kyc (label-derived,
    so development only)."""
    return label_derived_key(role)


def demo_secret(person: str) -> int:
    return int.from_bytes(_derive(f"identity {person}"), "big") % SNARK_SCALAR_FIELD


ISSUER_ROLES = {
    CredentialType.INCOME: "employer",
    CredentialType.CREDIT_HISTORY: "bureau",
    CredentialType.COLLATERAL: "custodian",
    CredentialType.KYC: "kyc",
}


@dataclass(frozen=True)
class Applicant:
    """A worker's private data, as their issuers attest it."""

    name: str
    currency: str
    monthly_income_minor: tuple[int, ...]
    months_employed: int
    score: int
    history_months: int
    defaults: int
    late_payments: int
    debt_ratio_bps: int
    collateral_minor: int
    birth_date: dt.date
    jurisdiction: int
    kyc_level: int
    loan_minor: int
    loan_months: int

    @property
    def secret(self) -> int:
        return demo_secret(self.name)

    @property
    def subject(self) -> int:
        return identity_commitment(self.secret)

    def statements(self, policy: CreditPolicy, ctx: ProofContext, tree: MerkleTree | None = None
                   ) -> dict[str, Statement]:
        """The four statements of this applicant's application."""
        return statements(self, policy, ctx, tree)

    def credentials(self, today: dt.date) -> dict[CredentialType, SignedCredential]:
        from zkredit.domain.money import currency

        cur = currency(self.currency).numeric
        raw: dict[CredentialType, dict[str, Any]] = {
            CredentialType.INCOME: {
                "currency": cur,
                "monthlyIncome": self.monthly_income_minor,
                "employmentStartMonth": month_index(today) - self.months_employed,
            },
            CredentialType.CREDIT_HISTORY: {
                "score": self.score,
                "historyMonths": self.history_months,
                "defaults": self.defaults,
                "latePayments": self.late_payments,
                "debtRatioBps": self.debt_ratio_bps,
            },
            CredentialType.COLLATERAL: {
                "currency": cur,
                "assetValue": self.collateral_minor,
                "assetType": 1,
                "lienFlag": 0,
                "valuationDay": day_number(today) - 30,
            },
            CredentialType.KYC: {
                "birthDate": self.birth_date.year * 10000
                + self.birth_date.month * 100
                + self.birth_date.day,
                "jurisdiction": self.jurisdiction,
                "kycLevel": self.kyc_level,
            },
        }
        return {
            ctype: issue(
                Credential.build(ctype, self.subject, attrs),
                demo_issuer(ISSUER_ROLES[ctype]),
                f"demo {ISSUER_ROLES[ctype]}",
            )
            for ctype, attrs in raw.items()
        }


SAMUEL = Applicant(
    name="Samuel Adewale",
    currency="NGN",
    monthly_income_minor=(75_000_000,) * 6,
    months_employed=36,
    score=745,
    history_months=48,
    defaults=0,
    late_payments=1,
    debt_ratio_bps=2500,
    collateral_minor=1_500_000_000,
    birth_date=dt.date(1991, 3, 14),
    jurisdiction=566,
    kyc_level=2,
    loan_minor=250_000_000,
    loan_months=24,
)

JOHN = Applicant(
    name="John Doe",
    currency="NGN",
    monthly_income_minor=(60_000_000,) * 6,
    months_employed=12,
    score=500,
    history_months=12,
    defaults=0,
    late_payments=10,
    debt_ratio_bps=8000,
    collateral_minor=300_000_000,
    birth_date=dt.date(1985, 7, 2),
    jurisdiction=566,
    kyc_level=1,
    loan_minor=250_000_000,
    loan_months=24,
)


def statements(
    applicant: Applicant,
    policy: CreditPolicy,
    ctx: ProofContext,
    kyc_tree: MerkleTree | None = None,
) -> dict[str, Statement]:
    """The four statements of a loan application (not yet checked)."""
    creds = applicant.credentials(ctx.today)
    tree = kyc_tree
    if tree is None:
        tree = MerkleTree(depth=20)
        tree.insert(applicant.subject)
    membership = tree.proof(tree.index_of(applicant.subject))
    s = applicant.secret
    return {
        "income": income_statement(s, creds[CredentialType.INCOME], policy, ctx),
        "credit_history": credit_history_statement(
            s, creds[CredentialType.CREDIT_HISTORY], policy, ctx
        ),
        "collateral": collateral_statement(
            s, creds[CredentialType.COLLATERAL], policy, ctx, applicant.loan_minor
        ),
        "identity": identity_statement(s, creds[CredentialType.KYC], policy, ctx, membership),
    }


def example_context() -> ProofContext:
    return ProofContext.for_wallet(EXAMPLE_SCOPE, EXAMPLE_WALLET, EXAMPLE_DATE)


def example_inputs() -> dict[str, dict[str, object]]:
    """Scenario 2's four circuit inputs on EXAMPLE_DATE, in plain circom JSON form."""
    stmts = statements(SAMUEL, CreditPolicy.default_for(SAMUEL.currency), example_context())

    def enc(v: object) -> object:
        return [enc(x) for x in v] if isinstance(v, (list, tuple)) else str(v)

    return {
        name: {k: enc(v) for k, v in s.require_true().inputs.items()} for name, s in stmts.items()
    }


def demo_issuers() -> dict[str, Issuer]:
    """The demo issuers, one per role, with their label-derived keys."""
    return {role: Issuer(f"demo {role}", role, demo_issuer(role)) for role in ISSUER_ROLES.values()}


def demo_registry(directory: Path) -> IssuerRegistry:
    """The demo's issuer registry under ``directory`` (seeded with the demo issuers)."""
    return IssuerRegistry.open(directory, seed=demo_issuers())


def demo_kyc_tree() -> MerkleTree:
    """The demo KYC provider's tree: the scenario applicants, in a fixed order."""
    tree = MerkleTree(depth=20)
    for person in (SAMUEL, JOHN):
        tree.insert(person.subject)
    return tree


def demo_issuer_keys() -> dict[int, list[tuple[int, int]]]:
    return {
        int(ctype): [(demo_issuer(role).public.x, demo_issuer(role).public.y)]
        for ctype, role in ISSUER_ROLES.items()
    }
