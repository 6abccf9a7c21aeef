"""The remittance agent's Prometheus metrics (seed names for the ZK ones)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class RemittanceMetrics:
    """Counters on the agent's own registry, served at ``/metrics``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.verifications = Counter(
            "zk_proof_verification",
            "Proofs verified off chain",
            ["proof_type"],
            registry=self.registry,
        )
        self.verified = Counter(
            "zk_proof_verification_success",
            "Proofs that verified",
            ["proof_type"],
            registry=self.registry,
        )
        self.attacks = Counter(
            "zk_attack_detection",
            "Rejected replays and tampered proofs",
            ["attack_type"],
            registry=self.registry,
        )
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

    def proof_verified(self, proof_type: str, ok: bool) -> None:
        self.verifications.labels(proof_type).inc()
        if ok:
            self.verified.labels(proof_type).inc()
        else:
            self.attacks.labels("invalid_proof").inc()
