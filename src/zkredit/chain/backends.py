"""The two chain backends behind :class:`zkredit.chain.client.ChainClient`.

* :class:`EmbeddedBackend`: eth-tester on py-evm, in this process. The default:
  nothing to start, state vanishes with the process. Its provider is the one
  seam where eth-tester's way of reporting a revert (a ``TransactionFailed``
  exception whose message is a ``repr`` of the revert bytes) is rewritten into
  the JSON-RPC error a node returns (``{"code": 3, "data": "0x..."}``), so web3
  raises the same exceptions on both backends. It also serialises requests:
  eth-tester is not thread-safe.
* :class:`RpcBackend`: any JSON-RPC node over HTTP (anvil from ``zkredit chain
  up``, a testnet, mainnet).

Both expose the same development conveniences (funded accounts, time travel,
snapshots) where the node supports them.
"""

from __future__ import annotations

import ast
import threading
import warnings
from typing import Any, Protocol

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import Web3Exception
from web3.types import RPCEndpoint, RPCResponse

from zkredit.chain.artifacts import ERROR_STRING
from zkredit.chain.errors import ChainError, NodeUnavailable

# anvil's and hardhat's default accounts: ``test test ... junk``, m/44'/60'/0'/0/i.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
ANVIL_ACCOUNTS = 10

# py-evm reports these VM failures as text; they carry no revert data.
_VM_FAILURES = ("Out of gas", "Invalid opcode", "Stack", "Insufficient funds", "Invalid")


class Backend(Protocol):
    """What the client needs from a backend."""

    name: str
    url: str | None
    w3: Web3
    preflight: bool
    """Simulate transactions with ``eth_call`` before sending them (cheap on a node)."""
    estimate_gas: bool
    """Ask the node for a gas limit when the caller gives none."""

    def dev_accounts(self) -> list[LocalAccount]:
        """Funded accounts whose keys are public knowledge (empty on a real network)."""
        ...

    def travel_to(self, timestamp: int) -> None:
        """Move the clock forward: calls and the next transaction see ``timestamp``
        (development chains only)."""
        ...

    def snapshot(self) -> Any:
        """Save the chain state; :meth:`revert` returns to it."""
        ...

    def revert(self, snapshot: Any) -> None: ...


class _EmbeddedProvider(EthereumTesterProvider):
    """eth-tester with node-style revert errors and one request at a time."""

    def __init__(self, tester: Any) -> None:
        super().__init__(tester)
        self._lock = threading.RLock()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        from eth_tester.exceptions import TransactionFailed  # type: ignore[import-untyped]

        with self._lock:
            try:
                return super().make_request(method, params)
            except TransactionFailed as exc:
                return _revert_response(str(exc.args[0]) if exc.args else "")


def _revert_response(message: str) -> RPCResponse:
    """The JSON-RPC error a node sends for a revert, from eth-tester's message."""
    reason = message.removeprefix("execution reverted: ")
    data: str | None
    if reason.startswith(("b'", 'b"')):
        data = "0x" + bytes(ast.literal_eval(reason)).hex()
    elif reason.startswith(_VM_FAILURES):
        data = None  # a VM failure, not a revert: there is no revert data
    else:  # eth-tester already decoded an Error(string): encode it back
        data = "0x" + (ERROR_STRING + abi_encode(["string"], [reason])).hex()
    error: dict[str, Any] = {"code": 3, "message": f"execution reverted: {reason}"}
    error["data"] = data
    return {"jsonrpc": "2.0", "id": 0, "error": error}  # type: ignore[typeddict-item]


class EmbeddedBackend:
    """An in-process py-evm chain with ten funded accounts."""

    name = "embedded"
    url: str | None = None
    preflight = False  # a simulation costs as much as the transaction (pairings: ~1 s)
    estimate_gas = False  # py-evm gas estimation takes seconds; use explicit gas

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optional eth-tester backends may warn
            from eth_tester import EthereumTester, PyEVMBackend  # type: ignore[import-untyped]

        self._pyevm = PyEVMBackend()
        self.tester = EthereumTester(self._pyevm)
        self.w3 = Web3(_EmbeddedProvider(self.tester))

    def dev_accounts(self) -> list[LocalAccount]:
        return [Account.from_key(k.to_bytes()) for k in self._pyevm.account_keys]

    def travel_to(self, timestamp: int) -> None:
        self.tester.time_travel(timestamp)  # the pending block, which calls execute on

    def snapshot(self) -> Any:
        return self.tester.take_snapshot()

    def revert(self, snapshot: Any) -> None:
        self.tester.revert_to_snapshot(snapshot)


class RpcBackend:
    """A JSON-RPC node over HTTP."""

    name = "rpc"
    url: str | None
    preflight = True
    estimate_gas = True

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))

    def check(self) -> int:
        """The chain id; raises :class:`NodeUnavailable` when the node does not answer."""
        try:
            return int(self.w3.eth.chain_id)
        except (OSError, Web3Exception) as exc:
            raise NodeUnavailable(
                f"no JSON-RPC node answers at {self.url}: {exc}",
                hint="Start one with `zkredit chain up`, or pass the right --rpc-url.",
            ) from exc

    def dev_accounts(self) -> list[LocalAccount]:
        """anvil's well-known accounts, if this node funds them (it is a dev node)."""
        try:
            unlocked = {a.lower() for a in self.w3.eth.accounts}
        except (OSError, Web3Exception):
            return []
        Account.enable_unaudited_hdwallet_features()
        found = []
        for i in range(ANVIL_ACCOUNTS):
            acct = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
            if acct.address.lower() in unlocked:
                found.append(acct)
        return found

    def _dev_rpc(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(RPCEndpoint(method), params)
        if "error" in response:
            raise ChainError(
                f"{method} failed on {self.url}: {response['error']}",
                hint="Time travel and snapshots need a development node such as anvil.",
            )
        return response.get("result")

    def travel_to(self, timestamp: int) -> None:
        self._dev_rpc("evm_mine", [timestamp])  # calls execute on the latest block

    def snapshot(self) -> Any:
        return self._dev_rpc("evm_snapshot", [])

    def revert(self, snapshot: Any) -> None:
        self._dev_rpc("evm_revert", [snapshot])
