"""ERC8004ReputationRegistry: feedback about agents (and borrowers' repayment history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkredit.chain.client import Sender
from zkredit.chain.contracts.base import ContractWrapper
from zkredit.chain.errors import ChainError

REPAYMENT_TAG = "repayment"


@dataclass(frozen=True)
class FeedbackSummary:
    """Count and average of feedback values, at ``decimals`` fixed-point decimals."""

    count: int
    value: int
    decimals: int


class ReputationRegistry(ContractWrapper):
    artifact = "ERC8004ReputationRegistry"

    def give_feedback(
        self,
        agent_id: int,
        value: int,
        decimals: int = 0,
        *,
        tag1: str = "",
        tag2: str = "",
        endpoint: str = "",
        feedback_uri: str = "",
        feedback_hash: bytes = b"\x00" * 32,
        sender: Sender | None = None,
    ) -> int:
        """Post feedback as the sender; returns its index (from 1 per agent and client)."""
        call = self.fn.giveFeedback(
            agent_id, value, decimals, tag1, tag2, endpoint, feedback_uri, feedback_hash
        )
        receipt = self._send(call, sender)
        events = self.client.events(self.contract, "NewFeedback", receipt)
        if not events:
            raise ChainError("giveFeedback emitted no NewFeedback event")
        return int(events[0]["args"]["feedbackIndex"])

    def get_summary(
        self, agent_id: int, clients: Sequence[str], tag1: str = "", tag2: str = ""
    ) -> FeedbackSummary:
        count, value, decimals = self._call(self.fn.getSummary(agent_id, list(clients), tag1, tag2))
        return FeedbackSummary(int(count), int(value), int(decimals))

    def clients(self, agent_id: int) -> list[str]:
        return [str(a) for a in self._call(self.fn.getClients(agent_id))]
