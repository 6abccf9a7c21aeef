"""Real Groth16 proofs through the generated verifiers and the batched verifier.

Proves scenario 2 (Samuel, NGN, tier 2) with the keys in ``circuits/keys`` (or
``ZKREDIT_CONTRACT_KEYS``), submits it on the embedded chain, and checks the gas
targets: one proof ≤ 320k gas, a whole application ≤ 1.2M gas (batched).
A pairing takes about a second on py-evm, so these tests are marked slow.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import zkapp
from .chain import ARTIFACTS, ROOT, Chain, System, deploy_system, load_tool, require
from .scenario import Lender, configure, dates_at, noon_of_next_day

pytestmark = pytest.mark.slow

SINGLE_PROOF_GAS = 320_000
APPLICATION_GAS = 1_200_000
SEQUENTIAL_GAS_CEILING = 1_450_000  # regression guard; the target needs batching


@dataclass(frozen=True)
class Build:
    """Artifacts whose verifiers match the proving keys in use."""

    artifacts: Path
    batched: bool  # False for development keys from separate setups


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    keys = zkapp.keys_dir()
    require(
        zkapp.have_keys(keys), f"no proving keys in {keys} (run the ceremony or make_dev_keys.py)"
    )
    if keys.resolve() == (ROOT / "circuits" / "keys").resolve():
        return Build(ARTIFACTS, batched=True)
    require(
        shutil.which("node") is not None and (ROOT / "node_modules/solc").is_dir(),
        "node/solc missing",
    )
    gen = load_tool("gen_verifiers")
    try:
        gen.render_batch_keys(keys)
        batched = True
    except gen.GenerationError:
        batched = False
    tmp = tmp_path_factory.mktemp("dev-build")
    src = tmp / "src"
    shutil.copytree(ROOT / "contracts" / "src", src, ignore=shutil.ignore_patterns("verifiers"))
    if not batched:
        (src / "ZKCreditBatchGroth16.sol").unlink()
    args = [
        "--keys",
        str(keys),
        "--out",
        str(src / "verifiers"),
        *([] if batched else ["--no-batch"]),
    ]
    assert gen.main(args) == 0
    build_script = str(ROOT / "tools/contracts/build.mjs")
    subprocess.run(
        ["node", build_script, "--src", str(src), "--out", str(tmp / "out"), "--quiet"], check=True
    )
    return Build(tmp / "out", batched)


@pytest.fixture(scope="module")
def systems(chain: Chain, build: Build) -> dict[str, System]:
    return {
        "batched": deploy_system(chain, artifacts=build.artifacts, batched=build.batched),
        "sequential": deploy_system(chain, artifacts=build.artifacts, batched=False),
    }


@pytest.fixture(scope="module")
def samuel(chain: Chain) -> zkapp.Borrower:
    return zkapp.Borrower(wallet=int(chain.accounts[1], 16))


@pytest.fixture(scope="module")
def proof_sets(chain: Chain, systems: dict[str, System], samuel: zkapp.Borrower
               ) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Scenario 2's four proofs for each deployment, made for today on the chain.

    Each deployment derives its own scope (``loanScope``: chain, identity registry,
    agent id), so each gets its own proofs.
    """
    import groth16py

    noon = noon_of_next_day(chain)
    keys = zkapp.keys_dir()
    sets: dict[str, dict[str, Any]] = {}
    for mode, system in systems.items():
        holder = borrower_of(samuel, system)
        inputs, _ = zkapp.build_inputs(holder, zkapp.Thresholds(), *dates_at(system, noon))
        out = {}
        for name in zkapp.CIRCUITS:
            blob = groth16py.prove(zkapp.load_proving_key(keys, name), inputs[name])
            signals = zkapp.public_signals(name, inputs[name], holder)
            vk = groth16py.VerifyingKey.from_snarkjs_file(str(keys / f"{name}.vkey.json"))
            assert groth16py.Verifier(vk).verify(blob, signals), (
                f"{name} proof does not verify off chain"
            )
            out[name] = (zkapp.split_proof(blob), signals)
        sets[mode] = out
    return sets


def borrower_of(samuel: zkapp.Borrower, system: System) -> zkapp.Borrower:
    """Samuel with the scope ``system`` derives for an application naming no agent."""
    return dataclasses.replace(samuel, scope=zkapp.loan_scope(system, 0))


@pytest.fixture(scope="module")
def proofs(proof_sets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return proof_sets["batched"]


@pytest.fixture(scope="module")
def lenders(
    chain: Chain, systems: dict[str, System], samuel: zkapp.Borrower, proofs: dict[str, Any]
) -> dict[str, Lender]:
    root = proofs["identity"][1][2]  # the subject's KYC root: the same in every set
    return {k: configure(chain, s, samuel, zkapp.Thresholds(), root) for k, s in systems.items()}


def _tamper(proofs: dict[str, Any], circuit: str, index: int) -> dict[str, Any]:
    out = {k: (p, list(s)) for k, (p, s) in proofs.items()}
    out[circuit][1][index] = (out[circuit][1][index] + 1) % zkapp.R
    return out


@pytest.mark.parametrize("circuit", zkapp.CIRCUITS)
def test_single_proof_verifies_within_gas(
    chain: Chain, systems: dict[str, System], proofs: dict[str, Any], circuit: str
) -> None:
    zk = systems["batched"].zk.functions
    circuit_id = zkapp.CIRCUITS.index(circuit) + 1
    proof, signals = proofs[circuit]
    assert zk.verifyProof(circuit_id, proof, signals).call() is True
    receipt = chain.tx(zk.checkProof(circuit_id, proof, signals), chain.accounts[0], gas=1_000_000)
    (event,) = chain.events(systems["batched"].zk, "ProofChecked", receipt)
    assert event.args.valid is True
    assert receipt["gasUsed"] <= SINGLE_PROOF_GAS, f"{circuit}: {receipt['gasUsed']} gas"


def test_every_public_signal_is_bound(proofs: dict[str, Any]) -> None:
    """Tamper table off chain (fast): changing any single public signal of any
    circuit breaks its proof, so no public input is left unconstrained."""
    import groth16py

    for circuit, ((a, b, c), signals) in proofs.items():
        vk = groth16py.VerifyingKey.from_snarkjs_file(
            str(zkapp.keys_dir() / f"{circuit}.vkey.json")
        )
        verifier = groth16py.Verifier(vk)
        blob = b"".join(v.to_bytes(32, "big") for v in (*a, *b[0], *b[1], *c))
        assert verifier.verify(blob, signals)
        for index in range(len(signals)):
            assert not verifier.verify(blob, _tamper(proofs, circuit, index)[circuit][1]), (
                circuit,
                index,
            )


@pytest.mark.parametrize("circuit", zkapp.CIRCUITS)
def test_generated_verifier_rejects_tampering(
    systems: dict[str, System], proofs: dict[str, Any], circuit: str
) -> None:
    """Tamper table on chain against the generated verifier: the first, second and
    last signal (every signal is covered off chain above; a pairing costs about a
    second on py-evm), and malformed proofs."""
    zk = systems["batched"].zk.functions
    circuit_id = zkapp.CIRCUITS.index(circuit) + 1
    proof, signals = proofs[circuit]
    for index in (0, 1, len(signals) - 1):
        tampered = _tamper(proofs, circuit, index)[circuit][1]
        assert zk.verifyProof(circuit_id, proof, tampered).call() is False, f"signal {index}"
    a, b, c = proof
    assert (
        zk.verifyProof(circuit_id, (a, b, [c[0], (c[1] + 1)]), signals).call() is False
    )  # off curve
    assert zk.verifyProof(circuit_id, (c, b, a), signals).call() is False  # swapped points
    out_of_field = [*signals[:-1], signals[-1] + zkapp.R]
    assert zk.verifyProof(circuit_id, proof, out_of_field).call() is False


def test_batch_agrees_with_individual_verifiers(
    build: Build, systems: dict[str, System], lenders: dict[str, Lender], proofs: dict[str, Any]
) -> None:
    require(build.batched, "these keys do not share alpha/beta/gamma; no batched verifier")
    batch = systems["batched"].batch
    assert batch is not None
    app = zkapp.application(lenders["batched"].policy_hash, proofs)
    verify = batch.functions.verifyApplication
    assert verify(app).call() is True
    # The batch draws its coefficients from the chain, itself and the whole application.
    chain_id = batch.w3.eth.chain_id
    expected_seed = zkapp.keccak_abi(f"(uint256,address,{zkapp.APP_TYPE})",
                                     (chain_id, batch.address, app))
    assert batch.functions.seedOf(app).call() == int.from_bytes(expected_seed, "big")
    for circuit in ("income", "identity"):  # coefficient 1, and a random one
        index = len(proofs[circuit][1]) - 1  # the wallet
        bad = zkapp.application(lenders["batched"].policy_hash, _tamper(proofs, circuit, index))
        assert verify(bad).call() is False, circuit
    swapped = dict(proofs)
    swapped["collateral"] = (proofs["credit_history"][0], proofs["collateral"][1])
    assert verify(zkapp.application(b"\x00" * 32, swapped)).call() is False
    huge = dict(proofs)
    huge["income"] = (
        proofs["income"][0],
        [*proofs["income"][1][:-1], proofs["income"][1][-1] + zkapp.R],
    )
    assert verify(zkapp.application(b"\x00" * 32, huge)).call() is False


@pytest.mark.parametrize("circuit", ["income", "identity"])
def test_invalid_proof_names_the_circuit(
    chain: Chain,
    systems: dict[str, System],
    lenders: dict[str, Lender],
    proofs: dict[str, Any],
    circuit: str,
) -> None:
    """A proof that fails only the pairing check (consistent, policy-conforming
    signals) is reported as InvalidProof(circuit) by the batched verifier too."""
    system, lender = systems["batched"], lenders["batched"]
    forged = {k: (p, list(s)) for k, (p, s) in proofs.items()}
    a, b, c = forged[circuit][0]
    forged[circuit] = ((c, b, a), forged[circuit][1])  # valid points, wrong proof
    app = zkapp.application(lender.policy_hash, forged)
    circuit_id = zkapp.CIRCUITS.index(circuit) + 1
    chain.reverts(
        system.zk.functions.verifyAndAttest(app),
        chain.accounts[1],
        "ZKCredit__InvalidProof",
        circuit_id,
        gas=4_000_000,
    )


@pytest.mark.parametrize("mode", ["batched", "sequential"])
def test_verify_and_attest_scenario_2(
    chain: Chain,
    systems: dict[str, System],
    lenders: dict[str, Lender],
    proof_sets: dict[str, dict[str, Any]],
    samuel: zkapp.Borrower,
    mode: str,
) -> None:
    system, lender = systems[mode], lenders[mode]
    wallet = chain.accounts[1]
    app = zkapp.application(lender.policy_hash, proof_sets[mode])
    receipt = chain.tx(system.zk.functions.verifyAndAttest(app), wallet, gas=2_000_000)
    (event,) = chain.events(system.zk, "ApplicationVerified", receipt)
    assert (event.args.tier, event.args.limit) == (2, 250_000_000)  # NGN 2,500,000.00
    request_hash = zkapp.keccak_abi(zkapp.APP_TYPE, app)
    assert system.credit.functions.isAttestationValid(request_hash).call()
    assert system.credit.functions.isNullifierUsed(borrower_of(samuel, system).nullifier).call()
    gas = receipt["gasUsed"]
    if mode == "batched" and systems[mode].batch is not None:
        assert gas <= APPLICATION_GAS, f"verifyAndAttest used {gas} gas"
    else:
        assert gas <= SEQUENTIAL_GAS_CEILING, f"verifyAndAttest (sequential) used {gas} gas"
    # Scenario 4: the same proofs again are rejected on chain.
    chain.reverts(system.zk.functions.verifyAndAttest(app), wallet, "ZKCredit__ActiveAttestation",
                  request_hash)
