"""Chain-backed implementations of what the agents need (adapters over zkredit.chain).

* :class:`RegistryDirectory`: agent wallets and card URLs from the identity registry.
* :class:`ChainTrust`: trusted issuer keys, KYC root times and the deny-list hash from
  the KYC registry (the remittance agent's ``TrustView`` and the worker's import check).
* :class:`ChainLender`: the credit agent's :class:`LenderChain`.
* :func:`submission_signer`: the worker wallet's EIP-712 consent for the lender to relay
  its proofs to ``verifyAndAttestFor`` (computed locally, no chain access).
* :class:`ChainAnchorer` / :class:`ChainRootPublisher`: audit anchors and KYC roots.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3.exceptions import Web3Exception

from zkredit.agents.remittance.settlement import JournalledTx, SettlementJournal
from zkredit.chain.application import Application
from zkredit.chain.contracts.verifier import SUBMISSION_TYPES
from zkredit.chain.deployment import System
from zkredit.chain.errors import ChainError
from zkredit.chain.policy import OnChainPolicy
from zkredit.chain.scope import REMITTANCE_SCOPE_DOMAIN, derived_scope
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import ZKreditError
from zkredit.zk.proof import Proof

SUBMISSION_TTL_S = 3600


class RegistryUnavailable(ZKreditError):
    """Raised when the identity registry cannot be read (the chain is down): 503, retry."""

    http_status = 503
    retry_after_s = 5


REGISTRY_CACHE_TTL_S = 30.0
"""A wallet read from the registry is trusted this long: a revoked or rotated wallet
stops being accepted within 30 s."""
REGISTRY_CACHE_SIZE = 64


@dataclass
class RegistryDirectory:
    """Agent name -> wallet and base URL, read from the ERC-8004 identity registry.

    Registered wallets are cached for :data:`REGISTRY_CACHE_TTL_S` in a bounded LRU;
    a name the deployment does not know is answered without the chain and never cached,
    so callers naming random senders cannot grow it. A chain that does not answer makes
    :class:`RegistryUnavailable` (503 with ``Retry-After``), not a 500.
    """

    system: System
    ttl_s: float = REGISTRY_CACHE_TTL_S
    max_entries: int = REGISTRY_CACHE_SIZE
    _cache: OrderedDict[str, tuple[float, str]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def agent_id(self, agent: str) -> int | None:
        entry = self.system.deployment.agents.get(agent)
        return int(entry["agentId"]) if entry and "agentId" in entry else None

    def wallet_of(self, agent: str) -> str | None:
        agent_id = self.agent_id(agent)
        if agent_id is None:
            return None
        with self._lock:
            cached = self._cache.get(agent)
            if cached and time.monotonic() - cached[0] < self.ttl_s:
                self._cache.move_to_end(agent)
                return cached[1]
        try:
            wallet = str(self.system.identity.get_agent_wallet(agent_id))
        except ChainError as exc:
            raise RegistryUnavailable(
                f"cannot read {agent}'s wallet from the identity registry: {exc.message}",
                hint="The chain node is unreachable; retry shortly.") from None
        if int(wallet, 16) == 0:  # unset or revoked
            return None
        with self._lock:
            self._cache[agent] = (time.monotonic(), wallet)
            self._cache.move_to_end(agent)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return wallet

    def base_url(self, agent: str) -> str | None:
        agent_id = self.agent_id(agent)
        if agent_id is None:
            return None
        uri = self.system.identity.agent_uri(agent_id)
        return uri.split("/.well-known/")[0] if uri else None


@dataclass
class ChainTrust:
    """Trust anchors as the KYC registry states them."""

    system: System

    def is_trusted_issuer(self, cred_type: int, ax: int, ay: int) -> bool:
        return bool(self.system.kyc.is_trusted_issuer(cred_type, ax, ay))

    def is_policy_active(self, policy_hash: bytes) -> bool:
        """Registered on ZKCreditVerifier and not retired: what the worker proves against."""
        return bool(self.system.zk.is_policy_active(policy_hash))

    def _agent_id(self, agent: str) -> int | None:
        """``agent``'s id in the deployment's identity registry (None: not registered)."""
        entry = self.system.deployment.agents.get(agent) or {}
        return None if entry.get("agentId") is None else int(entry["agentId"])

    def provider_scope(self, provider: str) -> int | None:
        """The remittance scope of ``provider``'s registered agent id (None: unknown)."""
        agent_id = self._agent_id(provider)
        if agent_id is None:
            return None
        return derived_scope(REMITTANCE_SCOPE_DOMAIN, int(self.system.client.chain_id),
                             str(self.system.identity.address), agent_id)

    def lender_scope(self, lender: str) -> int | None:
        """The scope the verifier derives for ``lender``'s registered agent id (None: unknown)."""
        agent_id = self._agent_id(lender)
        return None if agent_id is None else self.system.zk.loan_scope(agent_id)

    def root_published_at(self, root: int) -> int | None:
        if not self.system.kyc.is_known_root(root):
            return None
        return int(self.system.kyc.root_timestamp(root)) or None

    def deny_list_hash(self) -> int:
        return int(self.system.kyc.deny_list_hash())


@dataclass
class ChainLender(ChainTrust):
    """The credit agent's view of the chain; it transacts as ``account``."""

    account: LocalAccount | None = None
    agent_id: int = 0

    @property
    def chain_id(self) -> int:
        return int(self.system.client.chain_id)

    @property
    def verifier_address(self) -> str:
        return str(self.system.zk.address)

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.system.client.now(), dt.UTC).date()

    def policy_hash(self, policy: CreditPolicy) -> str:
        return "0x" + OnChainPolicy(policy).hash.hex()

    @functools.cached_property
    def loan_scope(self) -> int:
        return self.system.zk.loan_scope(self.agent_id)

    def active_request(self, nullifier: int) -> bytes | None:
        found: bytes | None = self.system.credit.active_request_of(nullifier)
        return found

    def release_attestation(self, request_hash: bytes) -> str | None:
        receipt = self.system.credit.release_attestation(request_hash, sender=self.account)
        return "0x" + bytes(receipt["transactionHash"]).hex()

    def attest(self, proofs: dict[str, Proof], policy: CreditPolicy, wallet: str,
               submission: dict[str, Any] | None) -> dict[str, Any]:
        app = Application(OnChainPolicy(policy).hash, proofs, self.agent_id)
        if submission is None:
            raise ChainError("the borrower did not authorise this lender to submit the proofs")
        attestation = self.system.zk.verify_and_attest_for(
            app, int(submission["deadline"]),
            bytes.fromhex(str(submission["signature"]).removeprefix("0x")),
            sender=self.account,
        )
        data = attestation.to_json()
        data["tx_hash"] = attestation.tx_hash
        data["request_hash"] = "0x" + attestation.request_hash.hex()
        return data

    def find_attestation(self, proofs: dict[str, Proof], policy: CreditPolicy
                         ) -> dict[str, Any] | None:
        """The attestation of exactly these proofs, if one was already mined (crash recovery)."""
        app = Application(OnChainPolicy(policy).hash, proofs, self.agent_id)
        event = self.system.zk.contract.events.ApplicationVerified
        logs = event.get_logs(from_block=0, argument_filters={"requestHash": app.request_hash})
        if not logs:
            return None
        log = logs[-1]
        args = log["args"]
        tx = log["transactionHash"].to_0x_hex()
        return {"tx_hash": tx, "txHash": tx, "request_hash": "0x" + app.request_hash.hex(),
                "nullifier": str(args["nullifier"]), "tier": int(args["tier"]),
                "limit": str(args["limit"]), "recovered": True}

    def submission_request(self, proofs: dict[str, Proof], policy: CreditPolicy
                           ) -> dict[str, Any]:
        app = Application(OnChainPolicy(policy).hash, proofs, self.agent_id)
        return {"request_hash": "0x" + app.request_hash.hex(), "agent_id": self.agent_id}

    def give_feedback(self, agent: str, value: int, tag1: str, tag2: str) -> str | None:
        entry = self.system.deployment.agents.get(agent)
        if entry is None:
            return None
        index = self.system.reputation.give_feedback(int(entry["agentId"]), value, 0, tag1=tag1,
                                                     tag2=tag2, sender=self.account)
        return f"feedback #{index}"

    def replay(self, proofs: dict[str, Proof], policy: CreditPolicy, wallet: LocalAccount
               ) -> Any:
        """Submit ``proofs`` directly from their wallet (scenario 4's on-chain replay)."""
        app = Application(OnChainPolicy(policy).hash, proofs, self.agent_id)
        return self.system.zk.verify_and_attest(app, wallet)


def submission_signer(verifier: str, chain_id: int, submitter: str
                      ) -> Any:
    """A worker-side signer bound to one verifier contract (from the lender's reply)."""

    def sign(account: LocalAccount, payload: dict[str, Any], opened: dict[str, Any]
             ) -> dict[str, Any] | None:
        proofs = {c: Proof.from_snarkjs(p["proof"], p["public"], c)
                  for c, p in payload["proofs"].items()}
        if len(proofs) != 4:
            return None  # nothing to attest: the lender will decline
        app = Application(bytes.fromhex(str(opened["policy_hash"]).removeprefix("0x")), proofs,
                          int(opened.get("agent_id", 0)))
        deadline = int(time.time()) + SUBMISSION_TTL_S
        typed = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                **SUBMISSION_TYPES,
            },
            "primaryType": "AttestationSubmission",
            "domain": {"name": "ZKCreditVerifier", "version": "1",
                       "chainId": int(opened.get("chain_id", chain_id)),
                       "verifyingContract": str(opened.get("verifier", verifier))},
            "message": {"submitter": str(opened.get("submitter", submitter)),
                        "requestHash": app.request_hash, "deadline": deadline},
        }
        sig = account.sign_message(encode_typed_data(full_message=typed))
        return {"deadline": deadline, "signature": "0x" + sig.signature.hex().removeprefix("0x")}

    return sign


@dataclass
class ChainAnchorer:
    system: System
    account: LocalAccount | None = None

    def anchor(self, head_hash: bytes, entry_count: int) -> str:
        if self.system.anchor is None:
            raise ChainError("no AuditAnchor contract in this deployment")
        return self.system.anchor.anchor(head_hash, entry_count, sender=self.account)

    def anchored(self, head_hash: bytes, entry_count: int) -> str | None:
        if self.system.anchor is None:
            return None
        by = self.account.address if self.account is not None else None
        return self.system.anchor.anchored(head_hash, entry_count, by)


@dataclass
class ChainRootPublisher:
    system: System
    account: LocalAccount | None = None

    def publish_root(self, root: int) -> str:
        return self.system.kyc.publish_root(root, sender=self.account)


@dataclass
class ZkUsdSettlement:
    """Settles a paid-out transfer in zkUSD: the provider pays its payout partner.

    The USD equivalent of the received amount (snapshot mid rate, half-up once) moves
    from the remittance agent's wallet to the receiver agent's wallet, and the receipt
    carries the transaction hash. Development and demo only: zkUSD is a test token.

    Exactly once across crashes (F25): the signed transfer is written to ``journal``
    (the agent's database) before it is broadcast. A later attempt that finds the
    entry resends those same bytes, which can be mined at most once, and signs a new
    transfer only when another transaction has taken the journalled nonce (so the
    journalled one can never be mined). Without a journal, what was settled is
    remembered in this process only, which a crash forgets.
    """

    system: System
    account: LocalAccount
    partner: str
    chain_id: int | None = None
    journal: SettlementJournal | None = None
    _done: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.chain_id = int(self.system.client.chain_id)

    def settle(self, transfer: Any) -> str | None:
        from zkredit.domain.fx import SnapshotRateProvider, convert
        from zkredit.domain.money import currency

        token = self.system.zkusd
        if token is None:
            return None
        with self._lock:
            if self.journal is None:  # process-local only (tests, throw-away runs)
                if transfer.transfer_id in self._done:
                    return self._done[transfer.transfer_id]
            else:
                settled = self._journalled(transfer.transfer_id)
                if settled is not None:
                    return settled
            received = transfer.received
            usd = currency("USD")
            if received.currency != usd:
                rate = SnapshotRateProvider.packaged().mid_rate(
                    received.currency, usd, dt.datetime.now(dt.UTC))
                received = convert(received, rate)
            journal = self.journal

            def write_ahead(nonce: int, tx_hash: str, raw: bytes) -> None:
                if journal is not None:
                    journal.record(JournalledTx(transfer.transfer_id, self.account.address,
                                                nonce, tx_hash, raw))

            receipt = self.system.client.transact(
                token.fn.transfer(self.partner, received.minor), self.account,
                before_send=write_ahead)
            tx = str(receipt["transactionHash"].to_0x_hex())
            if self.journal is None:
                self._done[transfer.transfer_id] = tx
            return tx

    def _journalled(self, transfer_id: str) -> str | None:
        """The hash of the journalled settlement once mined; ``None`` if a new one is needed."""
        assert self.journal is not None
        prior = self.journal.get(transfer_id)
        if prior is None:
            return None
        client = self.system.client
        mined_nonce = client.mined_nonce(prior.sender)  # before the receipt: see below
        receipt = client.receipt(prior.tx_hash)
        if receipt is None and mined_nonce <= prior.nonce:
            # Not mined, and its nonce is still free: send the same bytes again.
            with contextlib.suppress(Web3Exception, ChainError, ValueError):
                client.broadcast(prior.raw_tx)  # "already known" when it is pending
            receipt = client.wait(prior.tx_hash)
        if receipt is None:
            # The nonce was mined (counted before the receipt was asked for) by another
            # transaction, so the journalled one can never be: settle afresh.
            self.journal.forget(transfer_id)
            return None
        if receipt["status"] != 1:
            raise ChainError(f"the zkUSD settlement {prior.tx_hash} of {transfer_id} reverted")
        return prior.tx_hash
