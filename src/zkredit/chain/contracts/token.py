"""ZkUSD: the development stablecoin (2 decimals, EIP-2612 permit). Never in production."""

from __future__ import annotations

from web3.types import TxReceipt

from zkredit.chain.client import Sender
from zkredit.chain.contracts.base import AccessControlled, role

MINTER_ROLE = role("MINTER_ROLE")
PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


class ZkUsd(AccessControlled):
    artifact = "ZkUSD"

    def mint(self, to: str, cents: int, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.mint(to, cents), sender)

    def transfer(self, to: str, cents: int, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.transfer(to, cents), sender)

    def balance_of(self, account: str) -> int:
        return int(self._call(self.fn.balanceOf(account)))

    def allowance(self, owner: str, spender: str) -> int:
        return int(self._call(self.fn.allowance(owner, spender)))

    def permit(
        self,
        owner: Sender,
        spender: str,
        cents: int,
        deadline: int,
        sender: Sender | None = None,
    ) -> TxReceipt:
        """Approve ``spender`` by ``owner``'s EIP-2612 signature (signed here), sent by
        ``sender`` (anyone: the owner needs no gas)."""
        signer = self.client.account(owner)
        nonce = int(self._call(self.fn.nonces(signer.address)))
        domain = {
            "name": "ZKredit Test USD",
            "version": "1",
            "chainId": self.client.chain_id,
            "verifyingContract": self.address,
        }
        message = {
            "owner": signer.address,
            "spender": spender,
            "value": cents,
            "nonce": nonce,
            "deadline": deadline,
        }
        sig = self.client.sign_typed_data(signer, domain, PERMIT_TYPES, message)
        r, s, v = sig[:32], sig[32:64], sig[64]
        call = self.fn.permit(signer.address, spender, cents, deadline, v, r, s)
        return self._send(call, sender if sender is not None else signer)
