"""What an agent runs on: its database, audit log, job queue, wallet and peers.

Built by the composition root (:mod:`zkredit.bootstrap`), never at import time.
Each party keeps its state under ``<data_dir>/<party>/``: SQLite database (or a
PostgreSQL schema), logs and queue data.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi import APIRouter
from sqlalchemy.orm import Session

from zkredit.agents.common.envelope import AgentDirectory
from zkredit.agents.common.messaging import Inbox, Peers
from zkredit.jobs.api import JobQueue
from zkredit.store.audit import AuditLog
from zkredit.store.db import Database
from zkredit.store.idempotency import IdempotencyStore
from zkredit.store.ledger import Ledger
from zkredit.telemetry import bind_runtime
from zkredit.telemetry.logging import level as log_level
from zkredit.telemetry.logging import log_entry


def utcnow() -> datetime:
    return datetime.now(UTC)


class JsonLineLog(logging.Handler):
    """Structured JSON logs, one object per line, in the party's log directory."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        # Correlation and trace ids, private fields redacted (zkredit.telemetry.logging).
        line = json.dumps(log_entry(record), default=str) + "\n"
        # Opened per record: survives logging reconfiguration and log rotation.
        with self._lock2, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)


@dataclass
class PartyRuntime:
    """Everything one agent's services need."""

    name: str
    home: Path
    db: Database
    account: LocalAccount
    jobs: JobQueue
    directory: AgentDirectory
    peers: Peers
    inbox: Inbox
    chain_id: int
    chain: Any = None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("zkredit"))
    started: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        bind_runtime(self)  # queue depth, books, states, anchoring, SQL timings

    @property
    def audit(self) -> AuditLog:
        return AuditLog(self.db, self.account)

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.db)

    @property
    def idempotency(self) -> IdempotencyStore:
        return IdempotencyStore(self.db)

    def dead_letter_router(self) -> APIRouter:
        """``GET /jobs/dead`` and ``POST /jobs/{job_id}/retry`` over this agent's queue."""
        from zkredit.agents.common.deadletters import dead_letter_router

        return dead_letter_router(self.name, self.jobs, self.record)

    def log(self, msg: str, **fields: Any) -> None:
        self.logger.info(msg, extra={"fields": {"agent": self.name, **fields}})

    def record(self, kind: str, payload: dict[str, Any], *,
               session: Session | None = None) -> None:
        """Append to the party's audit log (hash-chained, signed).

        With ``session`` (opened with a lock) the entry commits with the business
        change made in it: a crash can lose neither one without the other.
        """
        self.audit.append(kind, payload, session=session)


def party_logger(name: str, home: Path) -> logging.Logger:
    logger = logging.getLogger(f"zkredit.{name}.{id(home)}")
    logger.setLevel(log_level())
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(JsonLineLog(home / "logs" / f"{name}.jsonl"))
    return logger
