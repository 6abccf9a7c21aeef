"""``zkredit deploy --check``: is what runs on chain what the artifacts say?

For each recorded contract the runtime code at its address must equal the
artifact's ``deployedBytecode`` outside the immutable words (see
:mod:`zkredit.chain.bytecode`); the artifact file must still be the one that
was deployed; and the wiring that immutables and storage hold (the verifier's
registries and verifiers, the credit registry's verifier) must point at the
recorded addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkredit.chain.artifacts import ArtifactStore
from zkredit.chain.bytecode import compare_runtime
from zkredit.chain.client import ChainClient
from zkredit.chain.deployment import BATCH, CREDIT, KYC, VERIFIER_SLOTS, ZKCREDIT, Deployment
from zkredit.chain.errors import DeploymentError, DeploymentMismatch

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass
class CheckReport:
    """Per contract: ``ok (N immutables)`` or the problem."""

    lines: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_deployment(
    client: ChainClient, deployment: Deployment, store: ArtifactStore | None = None
) -> CheckReport:
    """Compare every recorded contract with its artifact and check the wiring."""
    store = store or client.artifacts
    report = CheckReport()
    if deployment.chain_id != client.chain_id:
        raise DeploymentError(
            f"the deployment is for chain {deployment.chain_id}, "
            f"the node is chain {client.chain_id}"
        )
    for key, record in deployment.contracts.items():
        art = store.get(record.artifact)
        result = compare_runtime(art.deployed_bytecode, client.code(record.address))
        notes = []
        if not result.matches:
            notes.append(f"{result.problem}")
        if art.sha256 != record.artifact_sha256:
            notes.append(
                f"artifact {record.artifact}.json changed since the deployment "
                f"(sha256 {art.sha256[:12]}…, deployed {record.artifact_sha256[:12]}…)"
            )
        if notes:
            report.problems += [f"{key} at {record.address}: {n}" for n in notes]
            report.lines[key] = "MISMATCH: " + "; ".join(notes)
        else:
            report.lines[key] = f"ok ({result.immutables} immutable words)"
    if report.ok and ZKCREDIT in deployment.contracts:
        report.problems += _wiring(client, deployment)
    return report


def _wiring(client: ChainClient, deployment: Deployment) -> list[str]:
    system = deployment.system(client)
    expected = {
        "kyc": deployment.address(KYC),
        "credit": deployment.address(CREDIT),
        **{
            name: deployment.address(slot)
            for name, slot in zip(
                ("income", "credit_history", "collateral", "identity"), VERIFIER_SLOTS, strict=True
            )
        },
        "batch": deployment.contracts[BATCH].address
        if BATCH in deployment.contracts
        else ZERO_ADDRESS,
    }
    problems = [
        f"ZKCreditVerifier's {label} is {actual}, the deployment records {expected[label]}"
        for label, actual in system.zk.wiring().items()
        if actual.lower() != expected[label].lower()
    ]
    if system.credit.verifier() != system.zk.address:
        pending = system.credit.pending_verifier()
        waiting = (
            f" (proposed; acceptable from unix time {pending.ready_at}, then rerun "
            "`zkredit deploy`)"
            if pending is not None and pending.address == system.zk.address
            else ""
        )
        problems.append(
            f"the credit registry's verifier is {system.credit.verifier()}, "
            f"not ZKCreditVerifier {system.zk.address}{waiting}"
        )
    return problems


def require_matches(report: CheckReport) -> None:
    if not report.ok:
        raise DeploymentMismatch(report.problems)
