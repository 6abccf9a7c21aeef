"""The deployment record, the policy struct, the application struct and proof files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zkredit.chain.application import Application
from zkredit.chain.deployment import ContractRecord, Deployment
from zkredit.chain.errors import DeploymentError, DeploymentNotFound
from zkredit.chain.policy import OnChainPolicy, PolicyTerms
from zkredit.chain.submit import load_proofs
from zkredit.errors import EncodingError, InputError
from zkredit.zk.proof import Proof

WALLET = 0x00000000000000000000000000000000000000AA


def _record() -> Deployment:
    rec = ContractRecord("0x" + "12" * 20, "0x" + "ab" * 32, 7, "ZKCreditVerifier", "f" * 64, [1])
    d = Deployment(1337, "development", "0x" + "34" * 20, {"ZKCreditVerifier": rec})
    d.config["policy"] = OnChainPolicy.default().to_json()
    return d


def test_deployment_round_trips_and_is_keyed_by_contract(tmp_path: Path) -> None:
    d = _record()
    path = d.save(tmp_path)
    assert path == tmp_path / "1337.json"
    data = json.loads(path.read_text())
    assert data["contracts"]["ZKCreditVerifier"] == {
        "address": "0x" + "12" * 20,
        "txHash": "0x" + "ab" * 32,
        "blockNumber": 7,
        "artifact": "ZKCreditVerifier",
        "artifactSha256": "f" * 64,
        "constructorArgs": [1],
    }
    loaded = Deployment.load(tmp_path, 1337)
    assert loaded.to_json() == d.to_json()
    assert loaded.policy_hash == OnChainPolicy.default().hash
    with pytest.raises(DeploymentError, match="has no ERC8004KYCRegistry"):
        loaded.address("ERC8004KYCRegistry")


def test_missing_deployment_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DeploymentNotFound, match="no deployment for chain 5") as info:
        Deployment.load(tmp_path, 5)
    assert info.value.hint and "zkredit deploy" in info.value.hint
    assert Deployment.load_optional(tmp_path, 5) is None


def test_policy_struct_round_trip() -> None:
    policy = OnChainPolicy.default("NGN")
    struct = policy.struct()
    assert struct[:2] == (566, 50_000_000) and struct[13] == [8, 6, 4, 2]
    assert OnChainPolicy.from_struct(struct) == policy
    other = OnChainPolicy(policy.policy, PolicyTerms(min_kyc_level=2))
    assert other.hash != policy.hash
    assert policy.to_json()["hash"] == "0x" + policy.hash.hex()


def _proofs() -> dict[str, Proof]:
    """Well-formed (not valid) proofs carrying scenario 2's public signals."""
    counts = {"income": 9, "credit_history": 10, "collateral": 10, "identity": 10}
    out = {}
    for name, n in counts.items():
        public = tuple(range(1, n + 1))
        public = (*public[:-1], WALLET)
        out[name] = Proof((1, 2), ((3, 4), (5, 6)), (7, 8), public, name)
    return out


def test_application_struct_and_validation() -> None:
    proofs = _proofs()
    app = Application(b"\x01" * 32, proofs, agent_id=3)
    struct = app.struct()
    assert struct[0] == b"\x01" * 32 and struct[1] == 3
    assert struct[2] == ([1, 2], [[4, 3], [6, 5]], [7, 8])  # G2 imaginary part first
    assert struct[3] == list(proofs["income"].public)
    assert app.wallet == "0x00000000000000000000000000000000000000AA"
    assert len(app.request_hash) == 32
    assert app.with_signal("income", 0, 99).request_hash != app.request_hash
    with pytest.raises(InputError, match="missing: identity"):
        Application(b"\x01" * 32, {k: v for k, v in proofs.items() if k != "identity"})
    short = dict(proofs, collateral=Proof((1, 2), ((3, 4), (5, 6)), (7, 8), (1, 2), "collateral"))
    with pytest.raises(InputError, match="collateral proof has 2 public signals"):
        Application(b"\x01" * 32, short)
    with pytest.raises(InputError, match="32 bytes"):
        Application(b"\x01", proofs)


def test_load_proofs_reads_what_zkredit_prove_writes(tmp_path: Path) -> None:
    proofs = _proofs()
    for name, proof in proofs.items():
        (tmp_path / f"{name}.proof.json").write_text(json.dumps(proof.snarkjs_proof()))
        (tmp_path / f"{name}.public.json").write_text(json.dumps(proof.snarkjs_public()))
    loaded = load_proofs(tmp_path)
    assert {k: (p.a, p.b, p.c, p.public) for k, p in loaded.items()} == {
        k: (p.a, p.b, p.c, p.public) for k, p in proofs.items()
    }
    (tmp_path / "identity.public.json").write_text("{}")
    with pytest.raises(EncodingError, match="JSON array"):
        load_proofs(tmp_path)
    (tmp_path / "identity.public.json").unlink()
    with pytest.raises(InputError, match="missing") as info:
        load_proofs(tmp_path)
    assert info.value.hint and "zkredit prove identity" in info.value.hint
