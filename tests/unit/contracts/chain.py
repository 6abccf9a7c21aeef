"""An embedded py-evm chain and the ZKredit contract deployment used by the tests.

Transactions always carry an explicit ``gas``: web3's gas estimation on py-evm
takes seconds. Reverts are asserted with ``eth_call`` (eth-tester reports a
reverted transaction only as a status-0 receipt, without the revert data), and
decoded against the custom errors of every artifact.
"""

from __future__ import annotations

import ast
import json
import os
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "contracts" / "artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DAY = 86400
GAS = 3_000_000
ADMIN_DELAY = 3 * DAY
ZERO_ADDRESS = "0x" + "00" * 20

try:
    with warnings.catch_warnings():
        # eth-tester/py-evm import chains may warn about optional backends.
        warnings.simplefilter("ignore")
        from eth_account import Account
        from eth_account.messages import encode_typed_data
        from eth_tester import EthereumTester, PyEVMBackend
        from eth_utils import keccak
        from web3 import EthereumTesterProvider, Web3
        from web3.contract import Contract
except ImportError as exc:  # pragma: no cover - depends on the environment
    if IN_CI:
        raise
    pytest.skip(
        f"{exc.name} is not installed (pip install web3 'eth-tester[py-evm]')",
        allow_module_level=True,
    )


def require(condition: bool, reason: str) -> None:
    """Skip when ``condition`` is false, or fail in CI where nothing may be skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@cache
def artifact(name: str, directory: Path = ARTIFACTS) -> dict[str, Any]:
    with (directory / f"{name}.json").open() as f:
        data: dict[str, Any] = json.load(f)
    return data


def load_tool(name: str) -> Any:
    """Import ``tools/contracts/<name>.py`` (tools/ is not a package)."""
    import importlib.util
    import sys

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


def role(name: str) -> bytes:
    return keccak(text=name)


@cache
def _error_table() -> dict[bytes, tuple[str, list[str]]]:
    """selector -> (error name, argument types) over every artifact's ABI."""
    table: dict[bytes, tuple[str, list[str]]] = {}
    for path in [*ARTIFACTS.glob("*.json"), *ARTIFACTS.glob("test/*.json")]:
        if path.name == "MANIFEST.json":
            continue
        with path.open() as f:
            abi = json.load(f)["abi"]
        for item in abi:
            if item["type"] != "error":
                continue
            types = [_abi_type(i) for i in item["inputs"]]
            sig = f"{item['name']}({','.join(types)})"
            table[keccak(text=sig)[:4]] = (item["name"], types)
    return table


def _abi_type(item: dict[str, Any]) -> str:
    t: str = item["type"]
    if t.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){t[5:]}"
    return t


class Reverted(AssertionError):
    """A call did not revert the way the test expected."""


def decode_revert(exc: BaseException) -> tuple[str, tuple[Any, ...]]:
    """(error name, args) from eth-tester's TransactionFailed message."""
    from eth_abi import decode

    msg = str(exc.args[0]) if exc.args else ""
    prefix = "execution reverted: "
    if not msg.startswith(prefix):
        return ("<no data>", (msg,))
    tail = msg[len(prefix) :]
    data: bytes = ast.literal_eval(tail) if tail.startswith("b") else tail.encode()
    if len(data) < 4:
        return ("<no data>", ())
    if data[:4] == bytes.fromhex("08c379a0"):
        return ("Error", tuple(decode(["string"], data[4:])))
    name, types = _error_table().get(data[:4], (f"0x{data[:4].hex()}", []))
    return (name, tuple(decode(types, data[4:])) if types else ())


@dataclass
class Chain:
    """web3 on an in-process eth-tester/py-evm chain, with funded accounts."""

    w3: Web3
    tester: EthereumTester
    keys: list[Any]

    @classmethod
    def start(cls) -> Chain:
        backend = PyEVMBackend()
        tester = EthereumTester(backend)
        w3 = Web3(EthereumTesterProvider(tester))
        keys = list(backend.account_keys)
        return cls(w3=w3, tester=tester, keys=keys)

    @property
    def accounts(self) -> list[str]:
        return [Web3.to_checksum_address(k.public_key.to_checksum_address()) for k in self.keys]

    def key_of(self, address: str) -> bytes:
        for k in self.keys:
            if k.public_key.to_checksum_address() == address:
                return bytes(k.to_bytes())
        raise KeyError(address)

    def deploy(
        self, name: str, *args: Any, sender: str | None = None, directory: Path = ARTIFACTS
    ) -> Contract:
        art = artifact(name, directory)
        factory = self.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx_hash = factory.constructor(*args).transact(
            {"from": sender or self.accounts[0], "gas": 12_000_000}
        )
        receipt = self.w3.eth.get_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, f"deploying {name} failed"
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=art["abi"])

    def tx(self, fn: Any, sender: str, gas: int = GAS) -> Any:
        """Send ``fn`` from ``sender``; return the receipt, failing the test on revert."""
        tx_hash = fn.transact({"from": sender, "gas": gas})
        receipt = self.w3.eth.get_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            try:
                fn.call({"from": sender, "gas": gas})
            except Exception as exc:
                raise AssertionError(f"transaction reverted: {decode_revert(exc)}") from exc
            raise AssertionError("transaction reverted (no revert data)")
        return receipt

    def reverts(self, fn: Any, sender: str, error: str, *args: Any, gas: int = GAS) -> None:
        """Assert that ``fn`` from ``sender`` reverts with custom error ``error(*args)``."""
        try:
            if hasattr(fn, "call"):
                fn.call({"from": sender, "gas": gas})
            else:  # a constructor: run the deployment as a call
                data = fn.build_transaction({"from": sender, "gas": 12_000_000})["data"]
                self.w3.eth.call({"from": sender, "data": data, "gas": 12_000_000})
        except Exception as exc:
            name, got = decode_revert(exc)
            if name != error or (args and tuple(_norm(a) for a in args) != tuple(map(_norm, got))):
                raise Reverted(f"expected {error}{args}, got {name}{got}") from exc
            return
        raise Reverted(f"expected {error}{args}, but the call succeeded")

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def travel_to(self, timestamp: int) -> None:
        """Make the next block's timestamp ``timestamp`` (must be in the future)."""
        self.tester.time_travel(timestamp)

    def events(self, contract: Contract, event: str, receipt: Any) -> list[Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # other contracts' logs in the receipt
            return list(getattr(contract.events, event)().process_receipt(receipt))

    def sign_typed(
        self, signer: str, domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]
    ) -> bytes:
        primary = next(iter(types))
        signable = encode_typed_data(
            full_message={
                "types": {"EIP712Domain": _domain_fields(domain), **types},
                "primaryType": primary,
                "domain": domain,
                "message": message,
            }
        )
        signed = Account.sign_message(signable, private_key=self.key_of(signer))
        return bytes(signed.signature)


def _norm(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("0x") and len(v) == 42:
        return v.lower()
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    return v


def _domain_fields(domain: dict[str, Any]) -> list[dict[str, str]]:
    order = [
        ("name", "string"),
        ("version", "string"),
        ("chainId", "uint256"),
        ("verifyingContract", "address"),
    ]
    return [{"name": k, "type": t} for k, t in order if k in domain]


# ------------------------------------------------------------------ deployment


@dataclass
class System:
    """Every ZKredit contract, deployed and wired like a real deployment."""

    chain: Chain
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
    """Deploy in dependency order. ``verifier_names`` defaults to the four generated
    verifiers; pass ``["test/MockGroth16Verifier"] * 4`` for fast logic tests.
    ``batched`` adds the ZKCreditBatchGroth16 verifier (ignored with mocks).
    ``artifacts`` selects another build (e.g. one made from development keys)."""

    def deploy(name: str, *args: Any) -> Contract:
        return chain.deploy(name, *args, directory=artifacts)

    admin = chain.accounts[0]
    identity = deploy("ERC8004IdentityRegistry")
    reputation = deploy("ERC8004ReputationRegistry", identity.address)
    kyc = deploy("ERC8004KYCRegistry", ADMIN_DELAY, admin)
    credit = deploy("ERC8004CreditRegistry", ADMIN_DELAY, admin, identity.address)
    names = verifier_names or [
        "IncomeVerifier",
        "CreditHistoryVerifier",
        "CollateralVerifier",
        "IdentityVerifier",
    ]
    verifiers = [deploy(n) for n in names]
    batch = deploy("ZKCreditBatchGroth16") if batched and not verifier_names else None
    zk = deploy(
        "ZKCreditVerifier",
        ADMIN_DELAY,
        admin,
        kyc.address,
        credit.address,
        [v.address for v in verifiers],
        batch.address if batch else ZERO_ADDRESS,
    )
    chain.tx(credit.functions.setVerifier(zk.address), admin)
    zkusd = deploy("ZkUSD", admin)
    anchor = deploy("AuditAnchor", ADMIN_DELAY, admin)
    return System(
        chain, admin, identity, reputation, kyc, credit, verifiers, batch, zk, zkusd, anchor
    )
