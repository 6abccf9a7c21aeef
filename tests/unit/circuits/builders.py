"""Builders for the circuit witness tests (fixtures are in conftest.py).

Every test here runs the compiled witness calculator (``circuits/keys/*.wasm``)
on an input made by the production builders in :mod:`zkredit.zk.statements`
(or, where the builders rightly refuse, by hand) and checks that the circuit
accepts exactly at a policy boundary and rejects one unit past it. No proving.

A rejection is attributed to the constraint that caught it: circom reports the
template stack and source line of a failed assert, and :meth:`Circuit.reject`
checks that line against the ``.circom`` source, so a test cannot pass because
the input broke somewhere else (a signature, a range check) by accident.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from zkredit.domain.policy import CreditPolicy
from zkredit.errors import WitnessError
from zkredit.scenarios import (
    EXAMPLE_DATE,
    ISSUER_ROLES,
    SAMUEL,
    demo_issuer,
    demo_secret,
    example_context,
)
from zkredit.zk.credentials import (
    Credential,
    CredentialType,
    SignedCredential,
    identity_commitment,
    issue,
)
from zkredit.zk.eddsa import IssuerKey, Signature
from zkredit.zk.manifest import CircuitSpec
from zkredit.zk.merkle import MerkleProof, MerkleTree
from zkredit.zk.poseidon import poseidon
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
from zkredit.zk.witness import WitnessCalculator


@dataclass
class Circuit:
    """One compiled circuit: its manifest entry, witness calculator and source text."""

    spec: CircuitSpec
    calc: WitnessCalculator
    source: list[str]
    _lines: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def public(self, inputs: Mapping[str, Any]) -> dict[str, int]:
        """Compute the witness; return the public signals by name (wires 1..n_public).

        Also checks that every public *input* wire echoes the input it was given,
        which pins the public-signal order of circuits.json to the compiled circuit.
        """
        wires = self.calc.witness(inputs)
        assert wires[0] == 1
        out = dict(zip(self.spec.public, wires[1 : 1 + self.spec.n_public], strict=True))
        for name, value in out.items():
            if name in inputs:
                assert value == int(inputs[name]), f"public wire {name} != its input"
        return out

    def line_of(self, snippet: str) -> int:
        """The 1-based line of the top-level source that contains ``snippet`` (exactly once)."""
        if snippet not in self._lines:
            hits = [i for i, line in enumerate(self.source, 1) if snippet in line]
            assert len(hits) == 1, f"{snippet!r} occurs {len(hits)} times in {self.spec.source}"
            self._lines[snippet] = hits[0]
        return self._lines[snippet]

    def reject(self, inputs: Mapping[str, Any], at: str, first: str) -> str:
        """Assert that the circuit rejects ``inputs`` and attribute the failure.

        ``at`` is a snippet of the top-level source line the failure must come
        through; ``first`` is the template of the innermost failing assert:
        ``AssertLessEq`` for a failed comparison, ``Num2Bits`` for a failed range
        check, ``ForceEqualIfEnabled`` for a signature that does not verify, the
        top-level template itself for its own ``===``.
        """
        with pytest.raises(WitnessError) as info:
            self.calc.witness(inputs)
        msg = str(info.value)
        frames = [(t, int(n)) for t, n in _FRAME.findall(msg)]
        assert frames, f"no template stack in: {msg}"
        line = self.line_of(at)
        assert (self.spec.template, line) in frames, (
            f"expected a failure at {self.spec.source}:{line} ({at!r}): {msg}"
        )
        assert frames[0][0] == first, f"expected the innermost failure in {first}: {msg}"
        return msg


_FRAME = re.compile(r"Error in template (\w+?)_\d+ line: (\d+)")


def conditions(stmt: Statement) -> set[str]:
    """The policy conditions a Statement's pre-check names ("minScore", "lien", ...)."""
    return {f.split(":", 1)[0] for f in stmt.failures}


def check(
    circuit: Circuit, stmt: Statement, fails: tuple[str, str, str] | None = None
) -> dict[str, int]:
    """Pre-check and circuit must agree on ``stmt``.

    ``fails`` is None for a true statement (no pre-check failure, witness computes),
    else ``(condition, at, first)``: the pre-check names exactly ``condition`` and
    the circuit rejects at ``at`` with innermost template ``first``.
    """
    if fails is None:
        assert stmt.failures == []
        return circuit.public(stmt.inputs)
    condition, at, first = fails
    assert conditions(stmt) == {condition}, stmt.failures
    circuit.reject(stmt.inputs, at, first)
    return {}


# -- the applicant and the baseline credentials ------------------------------------

SECRET = SAMUEL.secret
OTHER_SECRET = demo_secret("somebody else")
CTX = example_context()
POLICY = CreditPolicy.default_for("NGN")
NGN = POLICY.currency_numeric
LOAN = SAMUEL.loan_minor
ROGUE = IssuerKey(b"\x42" * 32)  # a well-formed key nobody trusts


def issuer_key(ctype: CredentialType) -> IssuerKey:
    return demo_issuer(ISSUER_ROLES[ctype])


def baseline(ctype: CredentialType) -> dict[str, Any]:
    """Samuel's attributes (Scenario 2) on EXAMPLE_DATE, comfortably inside the default policy."""
    today = EXAMPLE_DATE
    return {
        CredentialType.INCOME: {
            "currency": NGN,
            "monthlyIncome": (75_000_000,) * 6,
            "employmentStartMonth": month_index(today) - 36,
        },
        CredentialType.CREDIT_HISTORY: {
            "score": 745,
            "historyMonths": 48,
            "defaults": 0,
            "latePayments": 1,
            "debtRatioBps": 2500,
        },
        CredentialType.COLLATERAL: {
            "currency": NGN,
            "assetValue": 1_500_000_000,
            "assetType": 1,
            "lienFlag": 0,
            "valuationDay": day_number(today) - 30,
        },
        CredentialType.KYC: {"birthDate": 19910314, "jurisdiction": 566, "kycLevel": 2},
    }[ctype]


def issue_credential(
    ctype: CredentialType,
    *,
    secret: int = SECRET,
    key: IssuerKey | None = None,
    **changes: Any,
) -> SignedCredential:
    """A credential of ``ctype`` for ``secret``'s identity, signed by ``key``
    (default: the demo issuer of that type), with ``changes`` over the baseline."""
    attrs = {**baseline(ctype), **changes}
    cred = Credential.build(ctype, identity_commitment(secret), attrs)
    return issue(cred, key or issuer_key(ctype), "test issuer")


def with_signature(signed: SignedCredential, *, s_delta: int = 0) -> SignedCredential:
    """``signed`` with its signature scalar shifted (an altered signature)."""
    sig = signed.signature
    return dataclasses.replace(signed, signature=Signature(sig.R8, sig.S + s_delta))


def kyc_tree(*leaves: int) -> MerkleTree:
    return MerkleTree.from_leaves(leaves, depth=20)


def membership_of(subject: int, tree: MerkleTree | None = None) -> MerkleProof:
    """Inclusion proof of ``subject``; by default in a tree holding only it."""
    tree = tree or kyc_tree(subject)
    return tree.proof(tree.index_of(subject))


def statement(
    ctype: CredentialType,
    signed: SignedCredential | None = None,
    *,
    secret: int = SECRET,
    policy: CreditPolicy = POLICY,
    ctx: ProofContext = CTX,
    trusted: Any = None,
    loan: int = LOAN,
    membership: MerkleProof | None = None,
    **changes: Any,
) -> Statement:
    """The production builder's Statement for a credential (issued from ``changes``
    over the baseline unless ``signed`` is given)."""
    if signed is None:
        signed = issue_credential(ctype, secret=secret, **changes)
    else:
        assert not changes, "give either a signed credential or attribute changes"
    if ctype is CredentialType.INCOME:
        return income_statement(secret, signed, policy, ctx, trusted)
    if ctype is CredentialType.CREDIT_HISTORY:
        return credit_history_statement(secret, signed, policy, ctx, trusted)
    if ctype is CredentialType.COLLATERAL:
        return collateral_statement(secret, signed, policy, ctx, loan, trusted)
    proof = membership or membership_of(identity_commitment(secret))
    return identity_statement(secret, signed, policy, ctx, proof, trusted)


def resign(
    ctype: CredentialType,
    inputs: Mapping[str, Any],
    fields: Sequence[int],
    key: IssuerKey | None = None,
) -> dict[str, Any]:
    """``inputs`` with a signature by ``key`` over Poseidon(``fields``), bypassing
    Credential.build's schema checks (for values the builders refuse)."""
    key = key or issuer_key(ctype)
    sig = key.sign(poseidon(list(fields)))
    return {
        **inputs,
        "sigR8x": sig.R8.x,
        "sigR8y": sig.R8.y,
        "sigS": sig.S,
        "issuerAx": key.public.x,
        "issuerAy": key.public.y,
    }
