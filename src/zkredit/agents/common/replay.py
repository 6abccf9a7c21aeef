"""Envelope ids already delivered, so a replayed envelope is refused.

An envelope is valid for ``MAX_SKEW_S`` either side of its timestamp, so an id is kept
for twice that and then forgotten: a replay after that fails the clock check instead.
:class:`SqlReplayCache` keeps them in the access database (a restart forgets nothing);
:class:`MemoryReplayCache` in this process (tests, and apps without a database).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from zkredit.agents.common.envelope import MAX_SKEW_S
from zkredit.store.columns import utcnow
from zkredit.store.db import Database
from zkredit.users.models import SeenEnvelopeRow

TTL_S = 2 * MAX_SKEW_S


class ReplayCache(Protocol):
    def first_time(self, recipient: str, envelope_id: str) -> bool:
        """Record the id; False when it was already recorded (a replay)."""
        ...


@dataclass
class MemoryReplayCache:
    max_entries: int = 200_000
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def first_time(self, recipient: str, envelope_id: str) -> bool:
        now = self.clock()
        key = f"{recipient}:{envelope_id}"
        with self._lock:
            if len(self._seen) >= self.max_entries:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                return False
            self._seen[key] = now + TTL_S
            return True


@dataclass
class SqlReplayCache:
    db: Database
    purge_every: int = 500
    _count: int = 0

    def first_time(self, recipient: str, envelope_id: str) -> bool:
        now = utcnow()
        self._count += 1
        try:
            with self.db.session() as s:
                if self._count % self.purge_every == 0:
                    s.execute(delete(SeenEnvelopeRow).where(SeenEnvelopeRow.expires_at < now))
                s.add(SeenEnvelopeRow(recipient=recipient, envelope_id=envelope_id[:80],
                                      expires_at=now + dt.timedelta(seconds=TTL_S)))
        except IntegrityError:
            return False
        return True
