"""The remittance agent's own Prometheus metrics.

The seed's ZK metrics (verifications, attacks) are recorded by :mod:`zkredit.telemetry`
into the agent's set, which ``create_agent_app`` serves on this same registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from zkredit.telemetry.metrics import record_attack


class RemittanceMetrics:
    """Counters on the agent's own registry, served at ``/metrics``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.transitions = Counter(
            "remittance_transfer_transitions",
            "Transfer state changes, by the state entered",
            ["state"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "remittance_webhook_deliveries",
            "Webhook delivery attempts, by outcome",
            ["outcome"],
            registry=self.registry,
        )

    def attack(self, attack_type: str) -> None:
        """Count a detected attack in the agent's ``zk_attack_detection_total``."""
        record_attack(attack_type, agent="remittance")
