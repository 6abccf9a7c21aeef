"""``zkredit bench gas``: gas of on-chain verification, with real proofs.

Deploys a fresh ZKredit system (on a new embedded chain, or on ``rpc_url``),
proves scenario 2 for the chain's date with the configured prover, then
measures two transactions: ``checkProof`` for each circuit alone (the figure is
the most expensive of the four) and the whole four-proof ``verifyAndAttest``.
Targets: ≤ 320k gas for one proof and ≤ 1.2M for an application.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zkredit.bootstrap import ZKServices
from zkredit.chain.client import ChainClient
from zkredit.chain.config import DeployConfig
from zkredit.chain.deployer import deploy_contracts
from zkredit.chain.errors import ChainError
from zkredit.chain.inputs import chain_inputs, prove_statements
from zkredit.chain.policy import OnChainPolicy
from zkredit.chain.submit import submit_application
from zkredit.scenarios import SAMUEL, demo_issuer_keys, demo_kyc_tree
from zkredit.settings import Settings, load_settings

SINGLE_PROOF_TARGET = 320_000
APPLICATION_TARGET = 1_200_000


@dataclass(frozen=True)
class GasReport:
    """Gas used on one chain; ``per_circuit`` is each ``checkProof`` transaction."""

    single_proof_verify_gas: int
    verify_and_attest_gas: int
    per_circuit: dict[str, int] = field(default_factory=dict)
    chain: str = ""

    def summary(self) -> dict[str, int]:
        """The two headline figures (what ``--json`` prints)."""
        return {
            "single_proof_verify_gas": self.single_proof_verify_gas,
            "verify_and_attest_gas": self.verify_and_attest_gas,
        }

    @property
    def within_targets(self) -> bool:
        return (
            self.single_proof_verify_gas <= SINGLE_PROOF_TARGET
            and self.verify_and_attest_gas <= APPLICATION_TARGET
        )


def bench_config() -> DeployConfig:
    """Only what verification needs: verifiers, policy, demo issuers, demo KYC root."""
    return DeployConfig(
        policy=OnChainPolicy.default(),
        issuers=demo_issuer_keys(),
        kyc_roots=(int(demo_kyc_tree().root),),
        with_anchor=False,
    )


def run_gas_bench(
    rpc_url: str | None = None,
    *,
    settings: Settings | None = None,
    services: ZKServices | None = None,
    client: ChainClient | None = None,
) -> GasReport:
    """Measure on ``client``, else a node at ``rpc_url``, else a fresh embedded chain."""
    settings = settings or load_settings(check=False)
    if client is None:
        client = ChainClient.connect(rpc_url) if rpc_url else ChainClient.embedded()
    dev = client.dev_accounts()
    if not dev:
        raise ChainError(
            f"{client.describe} has no funded development accounts to deploy the bench with",
            hint="Measure on the embedded chain (no --rpc-url) or on `zkredit chain up`.",
        )
    deployer = dev[0]
    report = deploy_contracts(client, bench_config(), deployer)
    system = report.deployment.system(client, sender=deployer)
    prover = (services or ZKServices.build(settings)).prover()
    proofs = prove_statements(prover, chain_inputs(
        system, deployer.address, applicant=SAMUEL, kyc_tree=demo_kyc_tree()))
    per_circuit: dict[str, int] = {}
    for name, proof in proofs.items():
        check = system.zk.check_proof(name, proof)
        if not check.valid:
            raise ChainError(f"the {name} proof did not verify on chain; the gas figure is void")
        per_circuit[name] = check.gas_used
    attestation = submit_application(
        proofs, report.deployment.policy_hash, verifier=system.zk, sender=deployer
    )
    return GasReport(
        single_proof_verify_gas=max(per_circuit.values()),
        verify_and_attest_gas=attestation.gas_used,
        per_circuit=per_circuit,
        chain=client.describe,
    )


def report_json(report: GasReport) -> dict[str, Any]:
    return report.summary()
