"""The agent card is an ERC-8004 registration file of the January 2026 revision."""

from __future__ import annotations

from zkredit.agents.common.app import AgentCard

REGISTRY = "0x" + "ab" * 20
WALLET = "0x" + "cd" * 20


def test_card_uses_services_x402_support_and_active() -> None:
    card = AgentCard(name="ZKredit receiver agent", description="d", url="http://h:3004",
                     wallet=WALLET, agent_id=4, registry=REGISTRY, chain_id=1337,
                     services={"travelRuleKey": "x25519:00"}, skills=["payout"])  # fmt: skip
    data = card.to_json()
    assert "endpoints" not in data
    assert data["type"] == "https://eips.ethereum.org/EIPS/eip-8004#registration-v1"
    assert data["services"] == [
        {"name": "A2A", "endpoint": "http://h:3004"},
        {"name": "agentWallet", "endpoint": f"eip155:1337:{WALLET}"},
        {"name": "travelRuleKey", "endpoint": "x25519:00"},
    ]
    assert (data["x402Support"], data["active"]) == (False, True)
    assert data["registrations"] == [{"agentId": 4, "agentRegistry": f"eip155:1337:{REGISTRY}"}]
    assert data["supportedTrust"] == ["reputation", "validation"]
    assert data["skills"] == ["payout"]
