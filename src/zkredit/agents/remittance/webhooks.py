"""Webhooks: transfer state changes POSTed to subscribers, signed with HMAC-SHA256.

Each delivery is a job (retried with the queue's exponential backoff). The body
is JSON; ``X-ZKredit-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw
body under the subscriber's secret, and ``X-ZKredit-Timestamp`` repeats the
``sent_at`` instant the body carries, so a receiver can refuse stale replays
while the signature still covers the time. Deliveries are at least once:
subscribers deduplicate by the body's ``id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from zkredit.agents.common.egress import EgressPolicy
from zkredit.agents.common.runtime import PartyRuntime, utcnow
from zkredit.agents.remittance.errors import UnknownWebhook
from zkredit.agents.remittance.metrics import RemittanceMetrics
from zkredit.agents.remittance.models import WebhookRow
from zkredit.agents.remittance.repository import RemittanceRepository
from zkredit.agents.remittance.schemas import WebhookIn, WebhookOut
from zkredit.agents.worker.vault import Keyring
from zkredit.errors import ZKreditError

DELIVER_JOB = "remittance.webhook.deliver"
SIGNATURE_HEADER = "X-ZKredit-Signature"
TIMESTAMP_HEADER = "X-ZKredit-Timestamp"
EVENT_HEADER = "X-ZKredit-Event"
EVENT_TYPE = "transfer.state_changed"
SEALED = "zkv1:"
"""A stored secret with this prefix is sealed (AES-256-GCM, the vault's keyring)."""


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
        egress: EgressPolicy | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.egress = egress or EgressPolicy(public_only=False)
        self.client = client or httpx.Client(timeout=timeout_s, follow_redirects=False,
                                             transport=self.egress.transport())
        self.clock = clock
        self.keyring = keyring
        """Seals subscriber secrets at rest (``ENCRYPTION_KEY``); None keeps them as given."""

    def _seal(self, hook_id: str, secret: str) -> str:
        if self.keyring is None:
            return secret
        blob = self.keyring.seal(secret.encode(), f"webhook:{hook_id}")
        return SEALED + base64.b64encode(blob).decode()

    def _open(self, hook_id: str, stored: str) -> str:
        if not stored.startswith(SEALED) or self.keyring is None:
            return stored
        blob = base64.b64decode(stored.removeprefix(SEALED))
        return self.keyring.open(blob, f"webhook:{hook_id}").decode()

    def register(self, request: WebhookIn, created_by: str) -> WebhookOut:
        self.egress.check(request.url)
        hook_id = f"wh_{uuid.uuid4().hex}"
        row = WebhookRow(
            id=hook_id,
            url=request.url,
            secret=self._seal(hook_id, request.secret),
            transfer_id=request.transfer_id,
            created_by=created_by,
            created_at=self.clock(),
        )
        with self.runtime.db.session() as s:
            RemittanceRepository(s).add_webhook(row)
        self.runtime.record("remittance.webhook.registered", {"webhook_id": row.id})
        return _out(row)

    def describe(self, hook_ids: list[str]) -> list[WebhookOut]:
        with self.runtime.db.session() as s:
            repo = RemittanceRepository(s)
            return [_out(row) for row in (repo.webhook(i) for i in hook_ids) if row is not None]

    def delete(self, hook_id: str) -> None:
        with self.runtime.db.session() as s:
            row = RemittanceRepository(s).webhook(hook_id)
            if row is None:
                raise UnknownWebhook(f"no webhook {hook_id!r}")
            s.delete(row)
        self.runtime.record("remittance.webhook.deleted", {"webhook_id": hook_id})

    def rotate_secret(self, hook_id: str) -> str:
        """A fresh random secret for ``hook_id``, returned once; the old one stops now."""
        secret = secrets.token_urlsafe(32)
        with self.runtime.db.session() as s:
            row = RemittanceRepository(s).webhook(hook_id)
            if row is None:
                raise UnknownWebhook(f"no webhook {hook_id!r}")
            row.secret = self._seal(hook_id, secret)
        self.runtime.record("remittance.webhook.secret_rotated", {"webhook_id": hook_id})
        return secret

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
            url, secret = hook.url, self._open(hook.id, hook.secret)
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
        self.egress.check(url)  # again, and the connect goes only where the check allowed
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


def _out(row: WebhookRow) -> WebhookOut:
    return WebhookOut(id=row.id, url=row.url, transfer_id=row.transfer_id,
                      created_at=row.created_at)
