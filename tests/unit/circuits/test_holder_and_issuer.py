"""What all four circuits share: the nullifier, the holder binding (subject =
Poseidon(identitySecret)) and the issuer signature."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.circuits.builders import (
    CTX,
    OTHER_SECRET,
    ROGUE,
    SECRET,
    Circuit,
    check,
    issue_credential,
    issuer_key,
    membership_of,
    statement,
    with_signature,
)
from zkredit.errors import InputError, SignatureError, UntrustedIssuerError
from zkredit.zk.babyjub import SUBORDER
from zkredit.zk.credentials import CredentialType, identity_commitment, nullifier
from zkredit.zk.statements import ProofContext

TYPES = pytest.mark.parametrize("ctype", list(CredentialType), ids=lambda t: t.circuit)
SIGNATURE = "cred.sigS <== sigS"


@TYPES
def test_nullifier_is_poseidon_of_secret_and_scope(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType
) -> None:
    out = check(circuits[ctype], statement(ctype))
    assert out["nullifier"] == nullifier(SECRET, CTX.scope)
    assert out["scope"] == CTX.scope
    assert out["wallet"] == CTX.wallet


@TYPES
@pytest.mark.parametrize("scope", [0, 1, 0x5CA1AB1F, (1 << 253) + 7])
def test_nullifier_changes_with_scope(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType, scope: int
) -> None:
    ctx = dataclasses.replace(CTX, scope=scope)
    out = check(circuits[ctype], statement(ctype, ctx=ctx))
    assert out["nullifier"] == nullifier(SECRET, scope)
    assert out["nullifier"] != nullifier(SECRET, CTX.scope)


@TYPES
def test_nullifier_ignores_wallet(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType
) -> None:
    ctx = ProofContext.for_wallet(CTX.scope, "0x" + "ff" * 20, CTX.today)
    out = check(circuits[ctype], statement(ctype, ctx=ctx))
    assert out["wallet"] == (1 << 160) - 1
    assert out["nullifier"] == nullifier(SECRET, CTX.scope)


@TYPES
def test_another_holder_with_own_credential_passes(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType
) -> None:
    """Control for the test below: the other secret works with a credential issued to it."""
    out = check(circuits[ctype], statement(ctype, secret=OTHER_SECRET))
    assert out["nullifier"] == nullifier(OTHER_SECRET, CTX.scope)
    assert out["nullifier"] != nullifier(SECRET, CTX.scope)


@TYPES
def test_subject_must_be_poseidon_of_secret(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType
) -> None:
    signed = issue_credential(ctype)  # issued to Poseidon(SECRET)
    assert signed.credential.subject == identity_commitment(SECRET)
    with pytest.raises(InputError, match="issued to another identity"):
        statement(ctype, signed, secret=OTHER_SECRET)
    stmt = statement(ctype, signed)
    inputs = {**stmt.inputs, "identitySecret": OTHER_SECRET}
    if ctype is CredentialType.KYC:
        # give the impostor a membership path of their own, so only the subject differs
        proof = membership_of(identity_commitment(OTHER_SECRET))
        inputs |= {
            "pathElements": list(proof.path_elements),
            "kycRoot": proof.root,
            "pathIndices": list(proof.path_indices),
        }
    circuits[ctype].reject(inputs, SIGNATURE, "ForceEqualIfEnabled")


@TYPES
@pytest.mark.parametrize("delta", [1, -1, SUBORDER])
def test_altered_signature_fails(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType, delta: int
) -> None:
    """S + 1 and S - 1 break the signature; S + subgroup order is the same point
    multiple but circomlib (and verify_poseidon) refuse S >= order."""
    stmt = statement(ctype)
    altered = with_signature(issue_credential(ctype), s_delta=delta)
    with pytest.raises(SignatureError):
        statement(ctype, altered)
    inputs = {**stmt.inputs, "sigS": stmt.inputs["sigS"] + delta}
    first = "EdDSAPoseidonVerifier" if delta == SUBORDER else "ForceEqualIfEnabled"
    circuits[ctype].reject(inputs, SIGNATURE, first)


@TYPES
def test_altered_r8_fails(circuits: dict[CredentialType, Circuit], ctype: CredentialType) -> None:
    stmt = statement(ctype)
    inputs = {**stmt.inputs, "sigR8x": stmt.inputs["sigR8x"] + 1}
    circuits[ctype].reject(inputs, SIGNATURE, "ForceEqualIfEnabled")


@TYPES
def test_trusted_issuer_accepted(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType
) -> None:
    trusted = issuer_key(ctype).public
    out = check(circuits[ctype], statement(ctype, trusted=trusted))
    assert (out["issuerAx"], out["issuerAy"]) == (trusted.x, trusted.y)


@TYPES
def test_credential_of_another_key_under_trusted_key_fails(
    circuits: dict[CredentialType, Circuit], ctype: CredentialType
) -> None:
    trusted = issuer_key(ctype).public
    rogue_signed = issue_credential(ctype, key=ROGUE)
    assert rogue_signed.is_valid()  # a genuine signature, just by the wrong key

    # the builder refuses it when told which key is trusted ...
    with pytest.raises(UntrustedIssuerError):
        statement(ctype, rogue_signed, trusted=trusted)
    # ... and refuses a credential that names the trusted key but carries the rogue signature
    with pytest.raises(SignatureError):
        statement(ctype, dataclasses.replace(rogue_signed, issuer=trusted))

    # the circuit takes the issuer key as a public input: under the rogue key it holds
    # (the verifier must check the key), under the trusted key it cannot be satisfied
    stmt = statement(ctype, rogue_signed)
    out = check(circuits[ctype], stmt)
    assert (out["issuerAx"], out["issuerAy"]) == (ROGUE.public.x, ROGUE.public.y)
    inputs = {**stmt.inputs, "issuerAx": trusted.x, "issuerAy": trusted.y}
    circuits[ctype].reject(inputs, SIGNATURE, "ForceEqualIfEnabled")


@TYPES
def test_builder_refuses_credential_of_another_type(ctype: CredentialType) -> None:
    other = next(t for t in CredentialType if t is not ctype)
    with pytest.raises(InputError, match=f"needs a {ctype.label} credential"):
        statement(ctype, issue_credential(other))


def test_type_tag_prevents_cross_type_replay(credit_history: Circuit) -> None:
    """Collateral and credit-history credentials both have 7 fields. A collateral
    credential whose attributes read as a passing credit record, signed by the very key
    the bureau uses, still fails in credit_history: the circuit hashes tag 2, not 3."""
    credit = CredentialType.CREDIT_HISTORY
    bureau = issuer_key(credit)
    record = {
        "score": 750,
        "historyMonths": 48,
        "defaults": 0,
        "latePayments": 0,
        "debtRatioBps": 2500,
    }
    stmt = statement(credit, **record)
    check(credit_history, stmt)  # control: the genuine credit record passes

    lookalike = issue_credential(
        CredentialType.COLLATERAL,
        key=bureau,
        currency=750,
        assetValue=48,
        assetType=0,
        lienFlag=0,
        valuationDay=2500,
    )
    assert lookalike.credential.fields()[1:] == [identity_commitment(SECRET), *record.values()]
    sig = lookalike.signature
    inputs = {**stmt.inputs, "sigR8x": sig.R8.x, "sigR8y": sig.R8.y, "sigS": sig.S}
    credit_history.reject(inputs, SIGNATURE, "ForceEqualIfEnabled")
