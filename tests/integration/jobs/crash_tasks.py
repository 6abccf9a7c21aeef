"""Handlers for the crash tests, loaded by worker subprocesses by import path.

``prove`` stands for proof generation: it needs per-process warm state (the
proving keys) that ``on_worker_start`` loads once. ``payout`` stands for a
transfer. Both record a "started" marker, work for ``work_s`` seconds (the
window in which the test kills the worker), then write their effect with the
idempotent pattern the ADR prescribes: one transaction that inserts the
effect under its business key (``ON CONFLICT DO NOTHING`` on a primary key)
and books the ledger entry only if that insert took.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from zkredit.jobs import JobQueue, JsonObject, current_job

_warm: dict[str, Any] = {}


def init_effects(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, job_id TEXT)")
        conn.execute("CREATE TABLE IF NOT EXISTS ledger (key TEXT, job_id TEXT, attempt INT)")


def count(db: Path, table: str, key: str) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE key = ?", (key,)).fetchone()
    return int(row[0])


def markers(path: Path, word: str) -> list[list[str]]:
    """The lines of the markers file starting with ``word``, split into fields."""
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines()]
    return [fields for fields in lines if fields and fields[0] == word]


def _mark(path: str, *fields: object) -> None:
    # O_APPEND writes of one short line are atomic between processes.
    with open(path, "a") as f:
        f.write(" ".join(str(x) for x in fields) + "\n")


def _warm_up(markers_path: str) -> None:
    _warm["proving_key"] = f"key-loaded-by-{os.getpid()}"
    _mark(markers_path, "warm", os.getpid())


def _apply(payload: JsonObject) -> JsonObject:
    ctx = current_job()
    _mark(
        payload["markers"], "started", ctx.kind, ctx.job_id, ctx.attempt, os.getpid(), time.time()
    )
    time.sleep(payload["work_s"])
    with sqlite3.connect(payload["db"], timeout=10) as conn:
        took = conn.execute(
            "INSERT INTO effects (key, job_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (payload["key"], ctx.job_id),
        ).rowcount
        if took == 1:
            conn.execute(
                "INSERT INTO ledger (key, job_id, attempt) VALUES (?, ?, ?)",
                (payload["key"], ctx.job_id, ctx.attempt),
            )
    return {"key": payload["key"], "attempt": ctx.attempt, "pid": os.getpid()}


def prove(payload: JsonObject) -> JsonObject:
    key = _warm.get("proving_key")
    if key is None:
        raise RuntimeError("proving keys were not loaded by on_worker_start")
    return {**_apply(payload), "proving_key": key}


def payout(payload: JsonObject) -> JsonObject:
    return _apply(payload)


def setup(queue: JobQueue) -> None:
    """Register both kinds; warm the keys once per worker process."""
    queue.register("prove", prove, max_attempts=3, timeout_s=60, queue="prove")
    queue.register("payout", payout, max_attempts=3, timeout_s=60)
    markers_path = os.environ.get("ZKREDIT_TEST_MARKERS")
    if markers_path:
        queue.on_worker_start(lambda: _warm_up(markers_path))
