"""identity.circom: KYC-tree membership, age, jurisdiction deny-set, the public level."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.unit.circuits.builders import (
    CTX,
    SECRET,
    Circuit,
    check,
    conditions,
    issue_credential,
    kyc_tree,
    membership_of,
    statement,
)
from zkredit.domain.policy import DEFAULT_DENIED_JURISDICTIONS, CreditPolicy
from zkredit.scenarios import demo_secret
from zkredit.zk.credentials import CredentialType, identity_commitment
from zkredit.zk.statements import ProofContext, deny_list_hash, ymd

KYC = CredentialType.KYC
POLICY = CreditPolicy.default_for("NGN")
DENIED = tuple(c for c in DEFAULT_DENIED_JURISDICTIONS if c)

NOT_MEMBER = ("kycRoot", "tree.root === kycRoot", "Identity")
TOO_YOUNG = ("minAgeYears", "adult.b <== todayYmd", "AssertLessEq")
DENIED_CODE = ("jurisdiction", "allowed[i].forbidden <== deniedJurisdictions[i]", "AssertNotEqual")
NO_CODE = ("jurisdiction", "known.forbidden <== 0", "AssertNotEqual")

OTHERS = [identity_commitment(demo_secret(f"kyc member {i}")) for i in range(7)]


# -- Merkle membership --------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 1, 3, 6, 7])
def test_member_at_any_index(identity: Circuit, position: int) -> None:
    subject = identity_commitment(SECRET)
    leaves = [*OTHERS[:position], subject, *OTHERS[position:]]
    tree = kyc_tree(*leaves)
    proof = membership_of(subject, tree)
    assert proof.index == position
    out = check(identity, statement(KYC, membership=proof))
    assert out["kycRoot"] == tree.root


def test_wrong_root_fails(identity: Circuit) -> None:
    subject = identity_commitment(SECRET)
    proof = membership_of(subject, kyc_tree(*OTHERS[:3], subject))
    bad = dataclasses.replace(proof, root=proof.root + 1)
    check(identity, statement(KYC, membership=bad), NOT_MEMBER)


def test_root_of_another_tree_fails(identity: Circuit) -> None:
    """The KYC provider's current root, but the holder was never added to that tree."""
    subject = identity_commitment(SECRET)
    proof = membership_of(subject, kyc_tree(*OTHERS[:3], subject))
    other_root = kyc_tree(*OTHERS).root
    bad = dataclasses.replace(proof, root=other_root)
    check(identity, statement(KYC, membership=bad), NOT_MEMBER)


def test_someone_elses_membership_fails(identity: Circuit) -> None:
    """A valid inclusion path of another member's leaf does not prove the holder's."""
    tree = kyc_tree(*OTHERS)
    proof = tree.proof(2)
    assert proof.verify()
    check(identity, statement(KYC, membership=proof), NOT_MEMBER)


def test_path_index_must_be_a_bit(identity: Circuit) -> None:
    inputs = statement(KYC).inputs
    indices = list(inputs["pathIndices"])
    indices[0] = 2
    identity.reject(
        {**inputs, "pathIndices": indices}, "tree.pathIndices[i] <== pathIndices[i]", "MerkleRoot"
    )


# -- age ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "birth", "fails"),
    [
        pytest.param(dt.date(2026, 11, 25), 20081125, None, id="18-today"),
        pytest.param(dt.date(2026, 11, 25), 20081126, TOO_YOUNG, id="18-tomorrow"),
        pytest.param(dt.date(2026, 12, 31), 20081231, None, id="18-on-new-years-eve"),
        pytest.param(dt.date(2026, 12, 30), 20081231, TOO_YOUNG, id="18-in-a-day-year-end"),
        pytest.param(dt.date(2027, 1, 1), 20090101, None, id="18-on-new-years-day"),
        pytest.param(dt.date(2026, 12, 31), 20090101, TOO_YOUNG, id="18-tomorrow-new-year"),
        # born on 29 February: YYYYMMDD arithmetic makes them 18 on 1 March
        pytest.param(dt.date(2026, 3, 1), 20080229, None, id="leapling-1-march"),
        pytest.param(dt.date(2026, 2, 28), 20080229, TOO_YOUNG, id="leapling-28-february"),
    ],
)
def test_min_age(
    identity: Circuit,
    today: dt.date,
    birth: int,
    fails: tuple[str, str, str] | None,
) -> None:
    ctx = ProofContext(CTX.scope, CTX.wallet, today)
    out = check(identity, statement(KYC, ctx=ctx, birthDate=birth), fails)
    if fails is None:
        assert out["todayYmd"] == ymd(today)


@pytest.mark.parametrize(
    ("min_age", "birth", "fails"),
    [
        pytest.param(21, 20051125, None, id="21-today"),
        pytest.param(21, 20051126, TOO_YOUNG, id="21-tomorrow"),
        pytest.param(0, 20261125, None, id="no-minimum-born-today"),
        pytest.param(0, 20261126, TOO_YOUNG, id="no-minimum-born-tomorrow"),
    ],
)
def test_min_age_other_policies(
    identity: Circuit, min_age: int, birth: int, fails: tuple[str, str, str] | None
) -> None:
    policy = dataclasses.replace(POLICY, min_age_years=min_age)
    check(identity, statement(KYC, policy=policy, birthDate=birth), fails)


# -- jurisdiction -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "fails"),
    [
        pytest.param(566, None, id="NG-allowed"),
        *[pytest.param(code, DENIED_CODE, id=f"denied-{code}") for code in DENIED],
        *[
            pytest.param(code + d, None, id=f"allowed-{code + d}")
            for code in DENIED
            for d in (-1, 1)
        ],
        pytest.param(0, DENIED_CODE, id="zero-matches-empty-slot"),
        pytest.param(1, None, id="one"),
    ],
)
def test_jurisdiction_deny_set(
    identity: Circuit, jurisdiction: int, fails: tuple[str, str, str] | None
) -> None:
    check(identity, statement(KYC, jurisdiction=jurisdiction), fails)


FULL_DENY = (408, 364, 760, 192, 4, 8, 12, 16)


@pytest.mark.parametrize(
    ("jurisdiction", "fails"),
    [
        pytest.param(566, None, id="NG-allowed"),
        pytest.param(16, DENIED_CODE, id="denied-in-last-slot"),
        pytest.param(0, NO_CODE, id="zero-without-empty-slot"),
    ],
)
def test_jurisdiction_full_deny_set(
    identity: Circuit, jurisdiction: int, fails: tuple[str, str, str] | None
) -> None:
    """With no empty slot in the list, jurisdiction 0 is caught by its own check."""
    policy = dataclasses.replace(POLICY, denied_jurisdictions=FULL_DENY)
    check(identity, statement(KYC, policy=policy, jurisdiction=jurisdiction), fails)


def test_deny_list_hash_must_match(identity: Circuit) -> None:
    inputs = statement(KYC).inputs
    assert inputs["denyListHash"] == deny_list_hash(POLICY.denied_jurisdictions)
    assert identity.public(inputs)["denyListHash"] == deny_list_hash(DEFAULT_DENIED_JURISDICTIONS)
    for wrong in (
        inputs["denyListHash"] + 1,
        deny_list_hash((408, 364, 760, 0, 0, 0, 0, 0)),
        deny_list_hash(FULL_DENY),
    ):
        identity.reject(
            {**inputs, "denyListHash": wrong}, "denyHash.out === denyListHash", "Identity"
        )


@pytest.mark.parametrize("slot", range(len(DENIED)))
def test_denied_holder_cannot_drop_their_code(identity: Circuit, slot: int) -> None:
    """A holder from a denied jurisdiction who blanks it out of the private list, keeping
    the public hash, is caught by the hash."""
    code = DENIED[slot]
    stmt = statement(KYC, jurisdiction=code)
    assert conditions(stmt) == {"jurisdiction"}
    doctored = list(stmt.inputs["deniedJurisdictions"])
    doctored[slot] = 0
    identity.reject(
        {**stmt.inputs, "deniedJurisdictions": doctored},
        "denyHash.out === denyListHash",
        "Identity",
    )


# -- public level -------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 1, 2, 3, 255])
def test_level_output_is_the_kyc_level(identity: Circuit, level: int) -> None:
    signed = issue_credential(KYC, kycLevel=level)
    out = check(identity, statement(KYC, signed))
    assert out["level"] == signed.credential.get("kycLevel") == level


# -- minAgeYears beyond the circuit's 8-bit range check ---------------------------------


@pytest.mark.parametrize(
    ("min_age", "birth", "fails"),
    [
        pytest.param(255, 17711125, None, id="255-years-today"),
        pytest.param(255, 17711126, TOO_YOUNG, id="255-years-tomorrow"),
    ],
)
def test_min_age_8_bit_edge(
    identity: Circuit, min_age: int, birth: int, fails: tuple[str, str, str] | None
) -> None:
    policy = dataclasses.replace(POLICY, min_age_years=min_age)
    check(identity, statement(KYC, policy=policy, birthDate=birth), fails)


def test_circuit_rejects_min_age_beyond_8_bits(identity: Circuit) -> None:
    policy = dataclasses.replace(POLICY, min_age_years=256)
    stmt = statement(KYC, policy=policy, birthDate=17601125)
    identity.reject(stmt.inputs, "ageYears.in <== minAgeYears", "Num2Bits")


def test_precheck_flags_min_age_beyond_8_bits() -> None:
    policy = dataclasses.replace(POLICY, min_age_years=256)
    assert statement(KYC, policy=policy, birthDate=17601125).failures
