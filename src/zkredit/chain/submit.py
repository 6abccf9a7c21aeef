"""Submitting an application: four proofs in, an on-chain attestation out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from zkredit.chain.application import CIRCUITS, Application, Attestation
from zkredit.chain.client import Sender
from zkredit.chain.contracts import APPLICATION_GAS, ZKCreditVerifier
from zkredit.errors import EncodingError, InputError
from zkredit.zk.proof import Proof


def submit_application(
    proofs: Mapping[str, Proof],
    policy_hash: bytes,
    *,
    verifier: ZKCreditVerifier,
    sender: Sender | None = None,
    agent_id: int = 0,
    gas: int = APPLICATION_GAS,
) -> Attestation:
    """Send ``verifyAndAttest`` for the four ``proofs`` under ``policy_hash``.

    ``sender`` (default: the wrapper's sender) must be the wallet the proofs are
    bound to; a mismatch is refused here, before spending gas. Returns the
    attestation decoded from the ``ApplicationVerified`` event; a revert raises
    :class:`zkredit.chain.errors.TxReverted` naming the contract's error (for a
    replay, ``ZKCredit__ActiveAttestation``).
    """
    app = Application(policy_hash, dict(proofs), agent_id)
    who = sender if sender is not None else verifier.sender
    if who is None:
        raise InputError("submit_application needs a sender (the proofs' wallet)")
    address = verifier.client.account(who).address
    if address.lower() != app.wallet.lower():
        raise InputError(
            f"the proofs are bound to wallet {app.wallet}, but the sender is {address}",
            hint="Submit from the wallet given when the inputs were made, or prove again "
            "for this wallet.",
        )
    return verifier.verify_and_attest(app, who, gas=gas)


def proof_paths(directory: Path, circuit: str) -> tuple[Path, Path]:
    """``<circuit>.proof.json`` and ``<circuit>.public.json`` in ``directory``."""
    return directory / f"{circuit}.proof.json", directory / f"{circuit}.public.json"


def load_proofs(directory: Path) -> dict[str, Proof]:
    """The four proofs ``zkredit prove`` wrote into ``directory``."""
    proofs = {}
    for circuit in CIRCUITS:
        proof_path, public_path = proof_paths(directory, circuit)
        try:
            proof_json = json.loads(proof_path.read_text())
            public_json = json.loads(public_path.read_text())
        except FileNotFoundError as exc:
            raise InputError(
                f"missing {exc.filename}",
                hint=f"Prove it: zkredit prove {circuit} --input {directory}/{circuit}.input.json "
                f"--out {proof_path} --public {public_path}",
            ) from None
        except json.JSONDecodeError as exc:
            raise EncodingError(f"{proof_path} or {public_path} is not valid JSON: {exc}") from None
        if not isinstance(public_json, list):
            raise EncodingError(f"{public_path} must hold a JSON array of decimal strings")
        proof = Proof.from_snarkjs(proof_json, public_json, circuit)
        setup = proof_json.get("zkredit_setup") if isinstance(proof_json, dict) else None
        proofs[circuit] = proof.marked(str(setup)) if setup else proof
    return proofs
