"""Anchoring an agent's audit-log head on chain: a job, scheduled every N entries or T seconds.

Each agent process anchors its own log with its own wallet (which the deployment
granted ``ANCHOR_ROLE``). The job is deduplicated per head, so a scheduler in every
replica, or one that restarts, anchors each head once.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.onchain import ChainAnchorer
from zkredit.chain.deployment import System
from zkredit.jobs.api import JobId

ANCHOR_JOB = "audit.anchor"


@dataclass
class AuditAnchoring:
    """Registers the anchoring job on ``runtime.jobs`` and schedules it in the background."""

    runtime: PartyRuntime
    system: System
    every_n: int = 50
    every_s: int = 60
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.runtime.jobs.register(ANCHOR_JOB, self._job, max_attempts=8)

    def _job(self, payload: dict[str, Any]) -> dict[str, Any]:
        anchorer = ChainAnchorer(self.system, self.runtime.account)
        record = self.runtime.audit.anchor_head(anchorer, self.runtime.chain_id)
        return {"tx_hash": record.tx_hash if record else None}

    def schedule(self, *, force: bool = False) -> JobId | None:
        """Enqueue anchoring of the current head if it is due (idempotent per head)."""
        audit = self.runtime.audit
        now = dt.datetime.now(dt.UTC)
        if not force and not audit.pending_anchor(self.every_n, self.every_s, now):
            return None
        head = audit.head()
        if head is None:
            return None
        return self.runtime.jobs.enqueue(ANCHOR_JOB, {"seq": head.seq},
                                         dedup_key=f"anchor:{head.seq}")

    def anchor_now(self, timeout: float = 60.0) -> str | None:
        """Anchor the current head through the job, and wait; returns the tx hash."""
        job = self.schedule(force=True)
        if job is None:
            return None
        status = self.runtime.jobs.wait(job, timeout=timeout)
        tx = (status.result or {}).get("tx_hash")
        return str(tx) if tx else None

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.schedule()
            except Exception as exc:  # a database blip must not end anchoring for good
                self.runtime.log("audit anchoring could not be scheduled", error=str(exc))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name=f"audit-anchoring-{self.runtime.name}")
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
