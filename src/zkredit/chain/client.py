"""One client over both backends: signing, nonces, gas, receipts, events, reverts.

Every transaction is signed here with a local key and sent raw, so the same code
path works on the embedded chain, anvil and a public network. Gas is explicit
wherever the caller gives it (always for proof transactions: estimation on
py-evm takes seconds, and an estimate can land on a limit at which the pairing
precompile fails); otherwise a node estimates it and the embedded chain uses a
fixed generous limit. A revert becomes :class:`TxReverted` with the decoded
custom error on both backends, whether it was caught by a pre-flight call or
mined (then the transaction is replayed on the parent block to get its data).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.logs import DISCARD
from web3.types import EventData, Nonce, TxParams, TxReceipt, Wei

from zkredit.chain.artifacts import ArtifactStore
from zkredit.chain.backends import Backend, EmbeddedBackend, RpcBackend
from zkredit.chain.errors import ChainError, NodeUnavailable, TxReverted, UnknownSender
from zkredit.chain.hints import hint_for
from zkredit.chain.nonces import NonceManager
from zkredit.telemetry import chain as chain_telemetry
from zkredit.telemetry import metrics

DEFAULT_GAS = 3_000_000
DEPLOY_GAS = 12_000_000
PRIORITY_FEE = 1_000_000_000  # 1 gwei
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 5, 4  # estimates get 25 % headroom

Sender = str | LocalAccount
BeforeSend = Callable[[int, str, bytes], None]
"""Called with (nonce, tx hash, raw signed transaction) just before it is broadcast."""
T = TypeVar("T")


@dataclass(frozen=True)
class Deployed:
    """A contract deployed by :meth:`ChainClient.deploy`."""

    name: str
    contract: Contract
    tx_hash: str
    block_number: int

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address


class ChainClient:
    """web3 plus local signing, nonce management and normalised errors."""

    def __init__(
        self,
        backend: Backend,
        *,
        artifacts: ArtifactStore | None = None,
        accounts: Iterable[LocalAccount] = (),
        receipt_timeout: float = 120.0,
    ) -> None:
        self.backend = backend
        self.artifacts = artifacts or ArtifactStore()
        self.receipt_timeout = receipt_timeout
        self._accounts: dict[str, LocalAccount] = {}
        self._nonces = NonceManager(self._pending_count)
        for acct in accounts:
            self.add_account(acct)
        chain_telemetry.watch(self)  # zkredit_chain_up at scrape time

    # -- construction --------------------------------------------------------------

    @classmethod
    def embedded(cls, artifacts: ArtifactStore | None = None) -> ChainClient:
        """A fresh in-process chain; its ten funded accounts can sign."""
        backend = EmbeddedBackend()
        return cls(backend, artifacts=artifacts, accounts=backend.dev_accounts())

    @classmethod
    def connect(
        cls, url: str, artifacts: ArtifactStore | None = None, *, dev_accounts: bool = True
    ) -> ChainClient:
        """A JSON-RPC node; on a dev node (anvil) its well-known accounts can sign."""
        backend = RpcBackend(url)
        backend.check()
        accounts = backend.dev_accounts() if dev_accounts else []
        return cls(backend, artifacts=artifacts, accounts=accounts)

    @property
    def w3(self) -> Web3:
        return self.backend.w3

    @cached_property
    def chain_id(self) -> int:
        return int(self._rpc(lambda: self.w3.eth.chain_id))

    @property
    def describe(self) -> str:
        return self.backend.url or "the embedded py-evm chain"

    # -- accounts --------------------------------------------------------------------

    def add_account(self, key: LocalAccount | str | bytes) -> LocalAccount:
        acct = key if isinstance(key, LocalAccount) else Account.from_key(key)
        self._accounts[acct.address.lower()] = acct
        return acct

    @property
    def accounts(self) -> list[ChecksumAddress]:
        """Addresses this client can sign for, in the order they were added."""
        return [a.address for a in self._accounts.values()]

    def dev_accounts(self) -> list[LocalAccount]:
        return self.backend.dev_accounts()

    def account(self, sender: Sender) -> LocalAccount:
        if isinstance(sender, LocalAccount):
            return sender
        try:
            return self._accounts[sender.lower()]
        except KeyError:
            raise UnknownSender(
                f"no private key for sender {sender}",
                hint="Set PRIVATE_KEY to the sender's key (or use a development chain).",
            ) from None

    def _pending_count(self, address: str) -> int:
        addr = Web3.to_checksum_address(address)
        return int(self._rpc(lambda: self.w3.eth.get_transaction_count(addr, "pending")))

    # -- contracts ---------------------------------------------------------------------

    def contract(self, name: str, address: str) -> Contract:
        """A web3 contract for artifact ``name`` at ``address``."""
        abi = self.artifacts.get(name).abi
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)

    def deploy(
        self,
        name: str,
        *args: Any,
        sender: Sender,
        gas: int | None = None,
        store: ArtifactStore | None = None,
    ) -> Deployed:
        """Deploy artifact ``name`` (from ``store``, default the client's artifacts)."""
        art = (store or self.artifacts).get(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = self.transact(factory.constructor(*args), sender, gas=gas, deploy=True)
        address = receipt["contractAddress"]
        if address is None:
            raise ChainError(f"deploying {name} produced no contract address")
        contract = self.w3.eth.contract(address=address, abi=art.abi)
        return Deployed(
            name, contract, receipt["transactionHash"].to_0x_hex(), int(receipt["blockNumber"])
        )

    # -- transactions ------------------------------------------------------------------

    def transact(
        self,
        fn: Any,
        sender: Sender,
        *,
        gas: int | None = None,
        value: int = 0,
        preflight: bool | None = None,
        deploy: bool = False,
        before_send: BeforeSend | None = None,
    ) -> TxReceipt:
        """Sign and send ``fn`` (a contract function or constructor) from ``sender``;
        return the receipt. Raises :class:`TxReverted` if it reverts.

        ``gas`` None: a node estimates it (which also simulates the transaction), the
        embedded chain uses a fixed limit. ``preflight`` (default: the backend's
        choice, on for nodes) simulates with ``eth_call`` first, so a revert costs
        nothing; without it a revert is mined and decoded by replaying it.

        ``before_send(nonce, tx_hash, raw)`` is called with the signed transaction
        before it is broadcast: a caller that must not pay twice journals it there,
        and after a crash resends that same transaction (:meth:`broadcast`) instead of
        signing another."""
        acct = self.account(sender)
        base: TxParams = {"from": acct.address, "value": Wei(value), "chainId": self.chain_id}
        if preflight is None:
            preflight = self.backend.preflight
        if gas is None and not self.backend.estimate_gas:
            gas = DEPLOY_GAS if deploy else DEFAULT_GAS
        if gas is None:
            gas = self._estimate(fn, base)
            preflight = False  # the estimate was the simulation
        tx: TxParams = {**base, "gas": gas, **self._fees()}
        if preflight:
            try:
                self._simulate(fn.build_transaction({**tx, "nonce": 0}), None)
            except TxReverted as exc:
                raise exc.as_simulated() from exc
        return self._send(acct, fn, tx, before_send)

    def send_value(self, to: str, value: int, sender: Sender) -> TxReceipt:
        """Send ``value`` wei from ``sender`` to ``to``."""
        acct = self.account(sender)
        tx: TxParams = {
            "from": acct.address,
            "to": Web3.to_checksum_address(to),
            "value": Wei(value),
            "gas": 21_000,
            "chainId": self.chain_id,
            **self._fees(),
        }
        return self._send(acct, None, tx)

    def _send(self, acct: LocalAccount, fn: Any, tx: TxParams,
              before_send: BeforeSend | None = None) -> TxReceipt:
        with chain_telemetry.transaction(chain_telemetry.function_label(fn)) as observed:
            receipt = self._send_timed(acct, fn, tx, before_send)
            observed.gas_used = int(receipt["gasUsed"])
            return receipt

    def _send_timed(self, acct: LocalAccount, fn: Any, tx: TxParams,
                    before_send: BeforeSend | None = None) -> TxReceipt:
        with self._nonces.reserve(acct.address) as nonce:
            full: TxParams = {**tx, "nonce": Nonce(nonce)}
            if fn is not None:
                full = fn.build_transaction(full)
            signed = acct.sign_transaction(full)  # type: ignore[arg-type]
            if before_send is not None:
                before_send(nonce, signed.hash.to_0x_hex(), bytes(signed.raw_transaction))
            try:
                tx_hash = self.broadcast(bytes(signed.raw_transaction))
            except ContractLogicError as exc:  # a node that simulates on send
                raise self._reverted(exc, None) from exc
            except Web3RPCError as exc:
                raise ChainError(
                    f"the node refused the transaction from {acct.address}: {exc}"
                ) from exc
        receipt = self.wait(tx_hash)
        if receipt["status"] != 1:
            raise self._explain_failure(full, receipt)
        return receipt

    def broadcast(self, raw: bytes) -> str:
        """Send a signed transaction; its hash. The same bytes again are the same
        transaction: at most one of them is ever mined."""
        return self._rpc(lambda: self.w3.eth.send_raw_transaction(raw)).to_0x_hex()

    def receipt(self, tx_hash: str) -> TxReceipt | None:
        """The receipt of ``tx_hash``, or ``None`` while it is not mined (or unknown)."""
        try:
            return self._rpc(
                lambda: self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            )
        except TransactionNotFound:
            return None

    def mined_nonce(self, address: str) -> int:
        """How many transactions of ``address`` are mined (its next unmined nonce)."""
        addr = Web3.to_checksum_address(address)
        return int(self._rpc(lambda: self.w3.eth.get_transaction_count(addr, "latest")))

    def wait(self, tx_hash: str) -> TxReceipt:
        """Wait for ``tx_hash`` to be mined; its receipt."""
        return self._wait(tx_hash)

    def _wait(self, tx_hash: str) -> TxReceipt:
        try:
            return self._rpc(
                lambda: self.w3.eth.wait_for_transaction_receipt(
                    tx_hash,  # type: ignore[arg-type]
                    timeout=self.receipt_timeout,
                    poll_latency=0.05,
                )
            )
        except TimeExhausted as exc:
            raise ChainError(
                f"transaction {tx_hash} was not mined within {self.receipt_timeout:.0f} s",
                hint="The node may be stalled or the fee too low; check it and retry.",
            ) from exc

    def _estimate(self, fn: Any, base: TxParams) -> int:
        try:
            estimate = self._rpc(lambda: fn.estimate_gas(dict(base)))
        except ContractLogicError as exc:  # estimation simulates: nothing was sent
            raise self._reverted(exc, None).as_simulated() from exc
        return int(estimate) * GAS_MARGIN_NUM // GAS_MARGIN_DEN + 10_000

    def _fees(self) -> TxParams:
        block = self._rpc(lambda: self.w3.eth.get_block("latest"))
        base_fee = block.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": self._rpc(lambda: self.w3.eth.gas_price)}
        tip = PRIORITY_FEE
        if self.backend.estimate_gas:  # a real node knows the going tip
            tip = int(self._rpc(lambda: self.w3.eth.max_priority_fee))
        return {"maxFeePerGas": Wei(2 * int(base_fee) + tip), "maxPriorityFeePerGas": Wei(tip)}

    # -- reads ------------------------------------------------------------------------

    def call(self, fn: Any, sender: Sender | None = None, *, gas: int | None = None) -> Any:
        """``fn.call()``; a revert raises :class:`TxReverted`."""
        params: TxParams = {}
        if sender is not None:
            params["from"] = (
                self.account(sender).address
                if isinstance(sender, LocalAccount)
                else Web3.to_checksum_address(sender)
            )
        if gas is not None:
            params["gas"] = gas
        try:
            return self._rpc(lambda: fn.call(params))
        except ContractLogicError as exc:
            raise self._reverted(exc, None) from exc

    def simulate(self, fn: Any, sender: Sender, *, gas: int | None = None, value: int = 0) -> None:
        """Run ``fn`` (a contract function or constructor) as a call from ``sender``;
        raises :class:`TxReverted` if sending it would revert. Nothing is sent."""
        address = sender.address if isinstance(sender, LocalAccount) else sender
        params: TxParams = {
            "from": Web3.to_checksum_address(address),
            "value": Wei(value),
            "gas": gas or DEPLOY_GAS,
            "nonce": Nonce(0),
            "chainId": self.chain_id,
            **self._fees(),
        }
        self._simulate(fn.build_transaction(params), None)

    def now(self) -> int:
        """Timestamp of the latest block."""
        return int(self._rpc(lambda: self.w3.eth.get_block("latest"))["timestamp"])

    def block_number(self) -> int:
        return int(self._rpc(lambda: self.w3.eth.block_number))

    def balance(self, address: str) -> int:
        addr = Web3.to_checksum_address(address)
        return int(self._rpc(lambda: self.w3.eth.get_balance(addr)))

    def code(self, address: str) -> bytes:
        addr = Web3.to_checksum_address(address)
        return bytes(self._rpc(lambda: self.w3.eth.get_code(addr)))

    def events(self, contract: Contract, event: str, receipt: TxReceipt) -> list[EventData]:
        """Logs of ``event`` emitted by ``contract`` in ``receipt`` (others are skipped)."""
        return list(getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD))

    # -- development chains ---------------------------------------------------------------

    def travel_to(self, timestamp: int) -> None:
        self.backend.travel_to(timestamp)

    def snapshot(self) -> Any:
        return self.backend.snapshot()

    def revert_to(self, snapshot: Any) -> None:
        self.backend.revert(snapshot)
        for acct in self._accounts.values():
            self._nonces.forget(acct.address)

    def sign_typed_data(
        self,
        signer: Sender,
        domain: dict[str, Any],
        types: dict[str, Any],
        message: dict[str, Any],
    ) -> bytes:
        """EIP-712 signature of ``message`` by ``signer`` (65 bytes, r || s || v)."""
        signed = self.account(signer).sign_typed_data(domain, types, message)
        return bytes(signed.signature)

    # -- errors ------------------------------------------------------------------------

    def _rpc(self, thunk: Callable[[], T]) -> T:
        """Run one request; connection failures become :class:`NodeUnavailable`."""
        try:
            return thunk()
        except OSError as exc:
            metrics.current().chain_unreachable()
            raise NodeUnavailable(
                f"lost the connection to {self.describe}: {exc}",
                hint="Is the node still running? `zkredit chain status` tells.",
            ) from exc

    def _simulate(self, tx: TxParams, block: int | None) -> None:
        params = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value", "gas")}
        try:
            self._rpc(lambda: self.w3.eth.call(params, block))  # type: ignore[arg-type]
        except ContractLogicError as exc:
            raise self._reverted(exc, None) from exc

    def _reverted(self, exc: ContractLogicError, tx_hash: str | None) -> TxReverted:
        data = _revert_bytes(exc.data)
        name, args = self.artifacts.decode_revert(data)
        detail = "" if data else f"without revert data ({exc})"
        return TxReverted(name, args, tx_hash, data=data, detail=detail, hint=hint_for(name))

    def _explain_failure(self, tx: TxParams, receipt: TxReceipt) -> TxReverted:
        """Decode a mined revert by replaying the transaction on the parent block."""
        tx_hash = receipt["transactionHash"].to_0x_hex()
        try:
            self._simulate(tx, max(int(receipt["blockNumber"]) - 1, 0))
        except TxReverted as reverted:
            return TxReverted(
                reverted.name,
                reverted.error_args,
                tx_hash,
                data=reverted.data,
                detail="without revert data" if reverted.name is None else "",
                hint=hint_for(reverted.name),
            )
        except Web3Exception:
            pass
        used, limit = int(receipt["gasUsed"]), int(tx.get("gas", 0))
        detail = (
            f"out of gas (used {used:,} of {limit:,})"
            if used >= limit * 63 // 64
            else "without revert data (the replay did not revert)"
        )
        return TxReverted(None, (), tx_hash, detail=detail)


def _revert_bytes(data: Any) -> bytes:
    """Revert data as bytes from whatever the node put in the JSON-RPC error."""
    if isinstance(data, dict):
        data = data.get("data") or data.get("result")
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""


def wait_for_node(url: str, timeout: float = 10.0) -> int:
    """Poll ``url`` until it answers ``eth_chainId``; return the chain id."""
    deadline = time.monotonic() + timeout
    backend = RpcBackend(url, timeout=2.0)
    while True:
        try:
            return backend.check()
        except NodeUnavailable:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
