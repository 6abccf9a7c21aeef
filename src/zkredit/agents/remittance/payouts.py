"""The seam between the remittance pipeline and the payout partner (the receiver agent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from zkredit.agents.common.messaging import Peers

PAYOUT_REQUEST = "receiver.payout.request"
PAYOUT_STATUS = "receiver.payout.status"


class PayoutGateway(Protocol):
    """Asks the payout partner to pay a recipient; idempotent by transfer id."""

    def request_payout(self, payload: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Return ``{"payout_id", "status": "paid_out"|"failed", "reason"?, "confirmation"}``.

        Raises :class:`~zkredit.agents.common.messaging.PeerError` when the partner
        refuses the request or cannot be reached.
        """
        ...

    def payout_status(self, transfer_id: str) -> dict[str, Any]:
        """What the partner recorded for ``transfer_id``: the same shape, status ``pending``
        while it is still paying.

        Raises :class:`~zkredit.agents.common.messaging.PeerError` (404 when the partner
        has no payout for the transfer, i.e. never started one).
        """
        ...


@dataclass
class PeerPayoutGateway:
    """Signed ``receiver.payout.request`` envelopes to the receiver agent."""

    peers: Peers
    agent: str = "receiver"

    def request_payout(self, payload: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self.peers.send(
            self.agent,
            PAYOUT_REQUEST,
            payload,
            idempotency_key=idempotency_key,
            correlation_id=str(payload.get("transfer_id", "")) or None,
        )

    def payout_status(self, transfer_id: str) -> dict[str, Any]:
        return self.peers.send(
            self.agent, PAYOUT_STATUS, {"transfer_id": transfer_id}, correlation_id=transfer_id
        )
