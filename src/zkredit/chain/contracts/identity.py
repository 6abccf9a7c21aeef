"""ERC8004IdentityRegistry: agents as ERC-721 tokens with a URI and a verified wallet."""

from __future__ import annotations

from collections.abc import Mapping

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from zkredit.chain.client import Sender
from zkredit.chain.contracts.base import ContractWrapper
from zkredit.chain.errors import ChainError

WALLET_SIGNATURE_TTL = 240  # seconds; the contract allows at most 5 minutes
AGENT_WALLET_TYPES = {
    "AgentWalletSet": [
        {"name": "agentId", "type": "uint256"},
        {"name": "newWallet", "type": "address"},
        {"name": "owner", "type": "address"},
        {"name": "deadline", "type": "uint256"},
    ]
}


class IdentityRegistry(ContractWrapper):
    artifact = "ERC8004IdentityRegistry"

    def register(
        self,
        agent_uri: str,
        metadata: Mapping[str, bytes] | None = None,
        sender: Sender | None = None,
    ) -> int:
        """Mint an agent to the sender; returns its id."""
        if metadata:
            fn = self.contract.get_function_by_signature("register(string,(string,bytes)[])")
            call = fn(agent_uri, list(metadata.items()))
        else:
            call = self.contract.get_function_by_signature("register(string)")(agent_uri)
        receipt = self._send(call, sender)
        events = self.client.events(self.contract, "Registered", receipt)
        if not events:
            raise ChainError("register() emitted no Registered event")
        return int(events[0]["args"]["agentId"])

    def agent_uri(self, agent_id: int) -> str:
        return str(self._call(self.fn.tokenURI(agent_id)))

    def set_agent_uri(self, agent_id: int, uri: str, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.setAgentURI(agent_id, uri), sender)

    def owner_of(self, agent_id: int) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call(self.fn.ownerOf(agent_id)))

    def get_agent_wallet(self, agent_id: int) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call(self.fn.getAgentWallet(agent_id)))

    def get_metadata(self, agent_id: int, key: str) -> bytes:
        return bytes(self._call(self.fn.getMetadata(agent_id, key)))

    def total_agents(self) -> int:
        return int(self._call(self.fn.totalAgents()))

    def set_agent_wallet(
        self,
        agent_id: int,
        new_wallet: Sender,
        sender: Sender | None = None,
        *,
        deadline: int | None = None,
    ) -> TxReceipt:
        """Point the agent at ``new_wallet``, which signs the EIP-712 consent here
        (the client must hold its key). The sender must own or operate the agent."""
        wallet = self.client.account(new_wallet)
        owner = self.owner_of(agent_id)
        deadline = deadline if deadline is not None else self.client.now() + WALLET_SIGNATURE_TTL
        domain = {
            "name": "ERC8004IdentityRegistry",
            "version": "1",
            "chainId": self.client.chain_id,
            "verifyingContract": self.address,
        }
        message = {
            "agentId": agent_id,
            "newWallet": wallet.address,
            "owner": owner,
            "deadline": deadline,
        }
        signature = self.client.sign_typed_data(wallet, domain, AGENT_WALLET_TYPES, message)
        call = self.fn.setAgentWallet(agent_id, wallet.address, deadline, signature)
        return self._send(call, sender)
