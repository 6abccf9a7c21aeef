"""The common shape of the typed contract wrappers."""

from __future__ import annotations

from typing import Any, ClassVar

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from zkredit.chain.client import ChainClient, Sender
from zkredit.chain.errors import UnknownSender

DEFAULT_ADMIN_ROLE = b"\x00" * 32


def role(name: str) -> bytes:
    """An OpenZeppelin AccessControl role id: ``keccak256(name)``."""
    return bytes(keccak(text=name))


class ContractWrapper:
    """One deployed contract: its web3 object, the client, and a default sender."""

    artifact: ClassVar[str]

    def __init__(self, client: ChainClient, address: str, *, sender: Sender | None = None):
        self.client = client
        self.contract: Contract = client.contract(self.artifact, address)
        self.sender = sender

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address

    @property
    def fn(self) -> Any:
        """``contract.functions``, for calls the wrapper does not cover."""
        return self.contract.functions

    def _who(self, sender: Sender | None) -> Sender:
        who = sender if sender is not None else self.sender
        if who is None:
            raise UnknownSender(
                f"{self.artifact}: no sender given and the wrapper has no default sender"
            )
        return who

    def _send(self, fn: Any, sender: Sender | None, *, gas: int | None = None) -> TxReceipt:
        return self.client.transact(fn, self._who(sender), gas=gas)

    def _call(self, fn: Any, sender: Sender | None = None) -> Any:
        return self.client.call(fn, sender if sender is not None else self.sender)


class AccessControlled(ContractWrapper):
    """A contract with OpenZeppelin roles."""

    def has_role(self, role_id: bytes, account: str) -> bool:
        return bool(self._call(self.fn.hasRole(role_id, account)))

    def grant_role(self, role_id: bytes, account: str, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.grantRole(role_id, account), sender)

    def revoke_role(self, role_id: bytes, account: str, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.revokeRole(role_id, account), sender)

    def begin_admin_transfer(self, new_admin: str, sender: Sender | None = None) -> TxReceipt:
        """Start the delayed hand-over of ``DEFAULT_ADMIN_ROLE`` (OpenZeppelin admin rules)."""
        return self._send(self.fn.beginDefaultAdminTransfer(new_admin), sender)

    def cancel_admin_transfer(self, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.cancelDefaultAdminTransfer(), sender)

    def pending_admin(self) -> str:
        pending = self._call(self.fn.pendingDefaultAdmin())
        return str(pending[0])

    def ensure_role(self, role_id: bytes, account: str, sender: Sender | None = None) -> bool:
        """Grant ``role_id`` unless ``account`` holds it; True when a transaction was sent."""
        if self.has_role(role_id, account):
            return False
        self.grant_role(role_id, account, sender)
        return True
