"""The seam between the remittance pipeline and the payout partner (the receiver agent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from zkredit.agents.common.messaging import Peers

PAYOUT_REQUEST = "receiver.payout.request"


class PayoutGateway(Protocol):
    """Asks the payout partner to pay a recipient; idempotent by transfer id."""

    def request_payout(self, payload: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Return ``{"payout_id", "status": "paid_out"|"failed", "reason"?, "confirmation"}``.

        Raises :class:`~zkredit.agents.common.messaging.PeerError` when the partner
        refuses the request or cannot be reached.
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
