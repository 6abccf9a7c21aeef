"""AuditAnchor: append-only anchors of the audit log's head hash."""

from __future__ import annotations

from dataclasses import dataclass

from zkredit.chain.client import Sender
from zkredit.chain.contracts.base import AccessControlled, role
from zkredit.chain.errors import ChainError

ANCHOR_ROLE = role("ANCHOR_ROLE")


@dataclass(frozen=True)
class AnchorRecord:
    """One anchor: the log head after ``entry_count`` entries."""

    index: int
    head_hash: bytes
    entry_count: int
    timestamp: int
    block_number: int
    anchored_by: str


class AuditAnchor(AccessControlled):
    artifact = "AuditAnchor"

    def anchor(self, head_hash: bytes, entry_count: int, sender: Sender | None = None) -> str:
        """Anchor the log head (the entry count must exceed the previous anchor's);
        returns the transaction hash. This is the store's ``Anchorer`` protocol."""
        receipt = self._send(self.fn.anchor(head_hash, entry_count), sender)
        if not self.client.events(self.contract, "Anchored", receipt):
            raise ChainError("anchor() emitted no Anchored event")
        return receipt["transactionHash"].to_0x_hex()

    def anchored(self, head_hash: bytes, entry_count: int, by: str | None = None
                 ) -> str | None:
        """The tx hash of ``by``'s (default: the sender's) anchor of exactly
        (``head_hash``, ``entry_count``), or None."""
        if by is None:
            who = self._who(None)
            by = str(getattr(who, "address", who))
        index = self.find(head_hash)
        if index is None:
            return None
        record = self.anchor_at(index)
        if record.entry_count != entry_count or record.anchored_by.lower() != by.lower():
            return None
        logs = self.contract.events.Anchored().get_logs(
            from_block=record.block_number, to_block=record.block_number,
            argument_filters={"headHash": head_hash})
        return logs[0]["transactionHash"].to_0x_hex() if logs else None

    def anchor_count(self) -> int:
        return int(self._call(self.fn.anchorCount()))

    def anchor_at(self, index: int) -> AnchorRecord:
        head, count, ts, block, by = self._call(self.fn.anchorAt(index))
        return AnchorRecord(index, bytes(head), int(count), int(ts), int(block), str(by))

    def latest(self) -> AnchorRecord | None:
        n = self.anchor_count()
        return self.anchor_at(n - 1) if n else None

    def find(self, head_hash: bytes) -> int | None:
        """Index of the anchor of ``head_hash``, or None."""
        found, index = self._call(self.fn.findAnchor(head_hash))
        return int(index) if found else None
