"""Security properties of credentials, statements and nullifiers."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.conftest import ROOT
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import (
    InputError,
    SignatureError,
    StatementFalse,
    UntrustedIssuerError,
    WitnessError,
)
from zkredit.scenarios import (
    JOHN,
    SAMUEL,
    demo_issuer,
    example_context,
    example_inputs,
    statements,
)
from zkredit.zk.credentials import (
    Credential,
    CredentialType,
    SignedCredential,
    identity_commitment,
    issue,
    nullifier,
)
from zkredit.zk.eddsa import IssuerKey
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.statements import ProofContext, credit_history_statement

POLICY = CreditPolicy.default_for("NGN")


def _credit(applicant_secret: int, key: IssuerKey, **attrs: int) -> SignedCredential:
    base = {
        "score": 745,
        "historyMonths": 48,
        "defaults": 0,
        "latePayments": 1,
        "debtRatioBps": 2500,
    }
    base.update(attrs)
    return issue(
        Credential.build(
            CredentialType.CREDIT_HISTORY, identity_commitment(applicant_secret), base
        ),
        key,
    )


def test_untrusted_issuer_is_refused_before_proving() -> None:
    rogue = IssuerKey(b"\x07" * 32)
    signed = _credit(SAMUEL.secret, rogue)
    assert signed.is_valid()  # a perfectly good signature, by the wrong key
    with pytest.raises(UntrustedIssuerError):
        credit_history_statement(
            SAMUEL.secret, signed, POLICY, example_context(), trusted=demo_issuer("bureau").public
        )


@pytest.mark.parametrize(
    "field", ["score", "historyMonths", "defaults", "latePayments", "debtRatioBps"]
)
def test_any_altered_field_breaks_the_signature(field: str) -> None:
    signed = _credit(SAMUEL.secret, demo_issuer("bureau"))
    attrs = dict(signed.credential.attributes)
    attrs[field] = int(attrs[field]) + 1  # type: ignore[arg-type]
    forged = dataclasses.replace(
        signed,
        credential=Credential.build(
            CredentialType.CREDIT_HISTORY, signed.credential.subject, attrs
        ),
    )
    assert not forged.is_valid()
    with pytest.raises(SignatureError):
        credit_history_statement(SAMUEL.secret, forged, POLICY, example_context())


@pytest.mark.slow
def test_altered_field_cannot_yield_a_valid_proof(backend: Groth16pyBackend) -> None:
    """Bypass the Python checks: the circuit itself rejects the forged credential."""
    signed = _credit(SAMUEL.secret, demo_issuer("bureau"), score=690)
    stmt = credit_history_statement(SAMUEL.secret, signed, POLICY, example_context())
    assert stmt.failures  # 690 < 700
    forged = dict(stmt.inputs, score=745)  # claim a better score under the old signature
    with pytest.raises(WitnessError, match="circuit rejected"):
        backend.prove("credit_history", forged)
    rogue = dict(stmt.inputs, score=745, issuerAx=stmt.inputs["issuerAx"] + 1)
    with pytest.raises(WitnessError):
        backend.prove("credit_history", rogue)


def test_credential_of_someone_else_is_refused() -> None:
    signed = _credit(JOHN.secret, demo_issuer("bureau"))
    with pytest.raises(InputError, match="issued to another identity"):
        credit_history_statement(SAMUEL.secret, signed, POLICY, example_context())


def test_nullifier_is_deterministic_per_scope() -> None:
    assert nullifier(SAMUEL.secret, 42) == nullifier(SAMUEL.secret, 42)
    assert nullifier(SAMUEL.secret, 42) != nullifier(SAMUEL.secret, 43)
    assert nullifier(SAMUEL.secret, 42) != nullifier(JOHN.secret, 42)


def test_four_statements_share_one_nullifier_in_the_circuit(
    backend: Groth16pyBackend,
) -> None:
    ctx = ProofContext.for_wallet(777, "0x" + "11" * 20, example_context().today)
    stmts = statements(SAMUEL, POLICY, ctx)
    from zkredit.zk.witness import public_signals

    outs = set()
    for name, s in stmts.items():
        raw = backend._circuit(name).witness.witness_bytes(s.inputs)
        outs.add(public_signals(raw, 1)[0])
    assert outs == {nullifier(SAMUEL.secret, 777)}


def test_scenario3_yields_statement_false_with_every_failing_condition() -> None:
    stmts = statements(JOHN, POLICY, example_context())
    with pytest.raises(StatementFalse) as info:
        stmts["credit_history"].require_true()
    names = [f.split(":")[0] for f in info.value.failures]
    assert names == ["minScore", "maxLate", "maxDebtRatioBps", "minHistoryMonths"]
    assert "500" in str(info.value)  # the worker sees their own numbers, locally


def test_committed_examples_are_scenario2_inputs() -> None:
    for name, inputs in example_inputs().items():
        committed = json.loads((ROOT / "circuits" / "examples" / f"{name}.input.json").read_text())
        assert committed == inputs, f"circuits/examples/{name}.input.json is stale"
