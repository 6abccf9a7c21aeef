"""The embedded chain and the ZKredit deployment, through the product's chain layer.

Contract tests deploy with the same code path as a real deployment
(:func:`zkredit.chain.deployer.deploy_contracts`) and send through the product
client, so signing, nonces, explicit gas and revert decoding are the ones
``zkredit deploy`` and the agents use. This module only adapts them to the
terse style of the contract tests: ``chain.tx(fn, sender)`` and
``chain.reverts(fn, sender, "Error", *args)`` on raw web3 contract functions.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.types import EventData, TxReceipt

from tests.conftest import IN_CI, require
from zkredit.chain.artifacts import ArtifactStore, default_artifacts_dir
from zkredit.chain.client import ChainClient
from zkredit.chain.config import ADMIN_DELAY, DeployConfig
from zkredit.chain.deployer import deploy_contracts
from zkredit.chain.deployment import (
    ANCHOR,
    BATCH,
    CREDIT,
    IDENTITY,
    KYC,
    REPUTATION,
    VERIFIER_SLOTS,
    ZKCREDIT,
    ZKUSD,
    Deployment,
)
from zkredit.chain.errors import TxReverted

__all__ = ["ADMIN_DELAY", "IN_CI", "require"]

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = default_artifacts_dir()
DAY = 86400
GAS = 3_000_000
ZERO_ADDRESS = "0x" + "00" * 20
MOCK_VERIFIER = "test/MockGroth16Verifier"


def load_tool(name: str) -> Any:
    """Import ``tools/contracts/<name>.py`` (tools/ is not a package)."""
    module_name = f"zkredit_tools_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(
        module_name, ROOT / "tools" / "contracts" / f"{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def artifact(name: str, directory: Path = ARTIFACTS) -> dict[str, Any]:
    return ArtifactStore(directory).get(name).data


def role(name: str) -> bytes:
    return bytes(keccak(text=name))


class Reverted(AssertionError):
    """A call did not revert the way the test expected."""


@dataclass
class Chain:
    """The product client on a fresh embedded py-evm chain."""

    client: ChainClient

    @classmethod
    def start(cls) -> Chain:
        return cls(ChainClient.embedded())

    @property
    def w3(self) -> Web3:
        return self.client.w3

    @property
    def accounts(self) -> list[str]:
        return list(self.client.accounts)

    def deploy(
        self, name: str, *args: Any, sender: str | None = None, directory: Path = ARTIFACTS
    ) -> Contract:
        deployed = self.client.deploy(
            name, *args, sender=sender or self.accounts[0], store=ArtifactStore(directory)
        )
        return deployed.contract

    def tx(self, fn: Any, sender: str, gas: int = GAS) -> TxReceipt:
        """Send ``fn`` from ``sender``; a revert raises the product's TxReverted."""
        return self.client.transact(fn, sender, gas=gas)

    def reverts(self, fn: Any, sender: str, error: str, *args: Any, gas: int = GAS) -> None:
        """Assert that ``fn`` from ``sender`` reverts with custom error ``error(*args)``."""
        try:
            if hasattr(fn, "call"):
                self.client.call(fn, sender, gas=gas)
            else:  # a constructor: simulate the deployment
                self.client.simulate(fn, sender)
        except TxReverted as exc:
            if not exc.matches(error, *args):
                raise Reverted(f"expected {error}{args}, got {exc.name}{exc.error_args}") from exc
            return
        raise Reverted(f"expected {error}{args}, but the call succeeded")

    def now(self) -> int:
        return self.client.now()

    def travel_to(self, timestamp: int) -> None:
        """Make calls and the next block see ``timestamp`` (must be in the future)."""
        self.client.travel_to(timestamp)

    def events(self, contract: Contract, event: str, receipt: TxReceipt) -> list[EventData]:
        return self.client.events(contract, event, receipt)

    def sign_typed(
        self, signer: str, domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]
    ) -> bytes:
        return self.client.sign_typed_data(signer, domain, types, message)


# ------------------------------------------------------------------ deployment


@dataclass
class System:
    """Every ZKredit contract, deployed and wired by the product deployer."""

    chain: Chain
    deployment: Deployment
    admin: str
    identity: Contract
    reputation: Contract
    kyc: Contract
    credit: Contract
    verifiers: list[Contract]
    batch: Contract | None
    zk: Contract
    zkusd: Contract
    anchor: Contract


def deploy_system(
    chain: Chain,
    *,
    verifier_names: list[str] | None = None,
    batched: bool = True,
    artifacts: Path = ARTIFACTS,
) -> System:
    """Deploy in dependency order with :func:`deploy_contracts`. ``verifier_names``
    defaults to the four generated verifiers; pass ``[MOCK_VERIFIER] * 4`` for fast
    logic tests. ``batched`` adds the batch verifier (ignored with mocks).
    ``artifacts`` selects another build (e.g. one made from development keys)."""
    names = tuple(verifier_names) if verifier_names else VERIFIER_SLOTS
    config = DeployConfig(
        verifier_artifacts=(names[0], names[1], names[2], names[3]),
        batch_artifact=BATCH if batched and not verifier_names else None,
        with_zkusd=True,
    )
    deployer = chain.client.account(chain.accounts[0])
    store = ArtifactStore(artifacts)
    report = deploy_contracts(chain.client, config, deployer, store=store)
    d = report.deployment

    def at(key: str) -> Contract:
        return chain.client.contract(d.contracts[key].artifact, d.address(key))

    return System(
        chain=chain,
        deployment=d,
        admin=deployer.address,
        identity=at(IDENTITY),
        reputation=at(REPUTATION),
        kyc=at(KYC),
        credit=at(CREDIT),
        verifiers=[at(slot) for slot in VERIFIER_SLOTS],
        batch=at(BATCH) if BATCH in d.contracts else None,
        zk=at(ZKCREDIT),
        zkusd=at(ZKUSD),
        anchor=at(ANCHOR),
    )
