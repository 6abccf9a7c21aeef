"""Webhooks: transfer state changes POSTed to subscribers, signed with HMAC-SHA256.

Each delivery is a job (retried with the queue's exponential backoff). The body
is JSON; ``X-ZKredit-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw
body under the subscriber's secret, and ``X-ZKredit-Timestamp`` repeats the
``sent_at`` instant the body carries, so a receiver can refuse stale replays
while the signature still covers the time. Deliveries are at least once:
subscribers deduplicate by the body's ``id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from zkredit.agents.common.runtime import PartyRuntime, utcnow
from zkredit.agents.remittance.errors import UnknownWebhook
from zkredit.agents.remittance.metrics import RemittanceMetrics
from zkredit.agents.remittance.models import WebhookRow
from zkredit.agents.remittance.repository import RemittanceRepository
from zkredit.agents.remittance.schemas import WebhookIn, WebhookOut
from zkredit.errors import ZKreditError

DELIVER_JOB = "remittance.webhook.deliver"
SIGNATURE_HEADER = "X-ZKredit-Signature"
TIMESTAMP_HEADER = "X-ZKredit-Timestamp"
EVENT_HEADER = "X-ZKredit-Event"
EVENT_TYPE = "transfer.state_changed"


class WebhookDeliveryFailed(ZKreditError):
    """Raised inside a delivery job when the subscriber did not accept it (the job retries)."""


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    return hmac.compare_digest(signature(secret, body), header)


class WebhookService:
    """Subscriptions and deliveries."""

    def __init__(
        self,
        runtime: PartyRuntime,
        metrics: RemittanceMetrics,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = utcnow,
        timeout_s: float = 10.0,
    ) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.client = client or httpx.Client(timeout=timeout_s)
        self.clock = clock

    def register(self, request: WebhookIn, created_by: str) -> WebhookOut:
        row = WebhookRow(
            id=f"wh_{uuid.uuid4().hex}",
            url=request.url,
            secret=request.secret,
            transfer_id=request.transfer_id,
            created_by=created_by,
            created_at=self.clock(),
        )
        with self.runtime.db.session() as s:
            RemittanceRepository(s).add_webhook(row)
        self.runtime.record("remittance.webhook.registered", {"webhook_id": row.id})
        return WebhookOut(
            id=row.id, url=row.url, transfer_id=row.transfer_id, created_at=row.created_at
        )

    def notify(self, transfer_id: str, event_id: int) -> None:
        """Schedule one delivery per matching subscriber (idempotent per event)."""
        with self.runtime.db.session() as s:
            hooks = [h.id for h in RemittanceRepository(s).webhooks_for(transfer_id)]
        for hook_id in hooks:
            self.runtime.jobs.enqueue(
                DELIVER_JOB,
                {"webhook_id": hook_id, "event_id": event_id},
                dedup_key=f"webhook:{hook_id}:{event_id}",
            )

    def deliver(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Job handler: POST one event to one subscriber; raise to retry."""
        with self.runtime.db.session() as s:
            repo = RemittanceRepository(s)
            hook = repo.webhook(str(payload["webhook_id"]))
            event = repo.event(int(payload["event_id"]))
            if hook is None:
                raise UnknownWebhook(f"no webhook {payload['webhook_id']!r}")
            if event is None:
                raise WebhookDeliveryFailed(f"no transfer event {payload['event_id']!r}")
            url, secret = hook.url, hook.secret
            sent_at = self.clock()
            body = json.dumps(
                {
                    "id": f"evt_{event.id}",
                    "type": EVENT_TYPE,
                    "transfer_id": event.transfer_id,
                    "state": event.to_state,
                    "previous_state": event.from_state,
                    "event": event.event,
                    "reason": event.reason,
                    "occurred_at": event.at.isoformat(),
                    "sent_at": sent_at.isoformat(),
                },
                sort_keys=True,
                separators=(",", ":"),
            ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret, body),
            TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
            EVENT_HEADER: EVENT_TYPE,
        }
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.metrics.webhooks.labels("error").inc()
            raise WebhookDeliveryFailed(
                f"webhook {payload['webhook_id']} unreachable: {exc}"
            ) from None
        if response.status_code >= 300:
            self.metrics.webhooks.labels("rejected").inc()
            raise WebhookDeliveryFailed(
                f"webhook {payload['webhook_id']} answered {response.status_code}"
            )
        self.metrics.webhooks.labels("delivered").inc()
        return {"status": response.status_code}

    def close(self) -> None:
        self.client.close()
