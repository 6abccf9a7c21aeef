"""What an agent's runtime adds to its metrics: queue depth, books, states, anchoring, SQL time.

:func:`bind_runtime` is called once per :class:`~zkredit.agents.common.runtime.PartyRuntime`.
It times every SQL statement of the agent's engine and registers one collector
on the agent's registry that reads, at scrape time (cached ``ttl_s``), how many
jobs wait in each state, whether the ledger balances, how many loans,
applications, transfers and payouts are in each state, and how far the audit
log runs ahead of its last on-chain anchor. A later runtime of the same agent
name (a restarted system in the same process) replaces the earlier one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import ColumnClause, Engine, column, event, func, select, table

from zkredit.telemetry import metrics, state

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 5.0

STATE_TABLES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "worker": (
        ("zkredit_worker_loan_applications", "worker_loan_applications", "status",
         "The worker's loan applications by status"),
        ("zkredit_worker_remittances", "worker_remittances", "status",
         "The worker's remittances by status"),
    ),
    "credit": (
        ("zkredit_loan_applications", "credit_applications", "status",
         "Loan applications by status"),
        ("zkredit_loans", "credit_loans", "status", "Loans by status"),
    ),
    "remittance": (
        ("zkredit_remittances", "remittance_transfers", "state", "Transfers by state"),
    ),
    "receiver": (
        ("zkredit_payouts", "receiver_payouts", "status", "Payouts by status"),
    ),
}
"""Per agent: (metric, table, state column, help) of the business objects it counts."""

_QUEUE_STATES = ("queued", "running", "failed", "dead")


def _to_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class RuntimeCollector(Collector):
    """Scrape-time gauges of one agent's runtime."""

    def __init__(self, runtime: Any, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.runtime = runtime
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        now = time.monotonic()
        with self._lock:
            if self._cached is None or self._cached[0] <= now:
                self._cached = (now + self.ttl_s, list(self._gather()))
            families = self._cached[1]
        return iter(families)

    def _gather(self) -> Iterator[Metric]:
        for part in (self._queue, self._ledger, self._states, self._anchoring):
            try:
                yield from part()
            except Exception as exc:  # a failing part must not break the scrape
                log.debug("metrics: %s of %s failed: %s", part.__name__, self.runtime.name, exc)

    def _queue(self) -> Iterator[Metric]:
        store = getattr(self.runtime.jobs, "store", None)
        counts = getattr(store, "counts", None)
        if counts is None:
            return
        by_state = {s.value: n for s, n in counts().items()}
        depth = GaugeMetricFamily(
            "zkredit_job_queue_depth", "Jobs not yet done, by state (dead: given up)",
            labels=["state"])
        for name in _QUEUE_STATES:
            if name in by_state:
                depth.add_metric([name], float(by_state[name]))
        yield depth

    def _ledger(self) -> Iterator[Metric]:
        trial = self.runtime.ledger.trial_balance()
        balanced = GaugeMetricFamily(
            "zkredit_ledger_balanced", "1 when every currency's debits equal its credits")
        balanced.add_metric([], 1.0 if trial.balanced else 0.0)
        imbalance = GaugeMetricFamily(
            "zkredit_ledger_imbalance_minor", "Debits minus credits, minor units",
            labels=["currency"])
        for totals in trial.totals:
            imbalance.add_metric([totals.currency.code], float(totals.difference))
        checked = GaugeMetricFamily(
            "zkredit_ledger_last_check_timestamp_seconds", "When the books were last checked")
        checked.add_metric([], time.time())
        yield from (balanced, imbalance, checked)

    def _states(self) -> Iterator[Metric]:
        engine: Engine = self.runtime.db.engine
        for metric, table_name, state_col, help_text in STATE_TABLES.get(self.runtime.name, ()):
            col: ColumnClause[Any] = column(state_col)
            stmt = select(col, func.count()).select_from(table(table_name, col)).group_by(col)
            with engine.connect() as conn:
                rows = conn.execute(stmt).all()
            family = GaugeMetricFamily(metric, help_text, labels=["state"])
            for value, n in rows:
                family.add_metric([str(value)], float(n))
            yield family

    def _anchoring(self) -> Iterator[Metric]:
        from zkredit.store.models import AnchorRow, AuditRow

        with self.runtime.db.session() as s:
            count = s.scalar(select(func.max(AuditRow.seq))) or 0
            anchored = s.scalar(select(func.max(AnchorRow.entry_count))) or 0
            last = s.scalar(select(func.max(AnchorRow.anchored_at)))
            oldest = (s.scalar(select(AuditRow.created_at).where(AuditRow.seq == anchored + 1))
                      if count > anchored else None)
        waiting = GaugeMetricFamily(
            "zkredit_audit_unanchored_entries", "Audit-log entries not yet anchored on chain")
        waiting.add_metric([], float(max(count - anchored, 0)))
        lag = GaugeMetricFamily(
            "zkredit_audit_anchor_lag_seconds",
            "Age of the oldest audit-log entry not yet anchored on chain (0: all anchored)")
        age = (datetime.now(UTC) - _to_utc(oldest)).total_seconds() if oldest else 0.0
        lag.add_metric([], max(age, 0.0))
        yield from (waiting, lag)
        if last is not None:
            stamp = GaugeMetricFamily(
                "zkredit_audit_last_anchor_timestamp_seconds", "When the head was last anchored")
            stamp.add_metric([], _to_utc(last).timestamp())
            yield stamp


def _operation(statement: str) -> str:
    head = statement.lstrip().split(None, 1)
    return head[0].lower() if head else "other"


def time_statements(engine: Engine, record: Callable[[str, float], None]) -> None:
    """Time every statement on ``engine`` into ``record(operation, seconds)``."""
    if getattr(engine, "_zkredit_timed", False):
        return

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("zkredit_t0", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info.get("zkredit_t0")
        if started:
            record(_operation(statement), time.perf_counter() - started.pop())

    def failed(context: Any) -> None:
        started = context.connection.info.get("zkredit_t0") if context.connection else None
        if started:
            started.pop()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
    engine._zkredit_timed = True  # type: ignore[attr-defined]


class _Slot(Collector):
    """A registry entry whose collector can be swapped (a restarted runtime replaces it)."""

    def __init__(self) -> None:
        self.target: Collector | None = None

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        target = self.target
        return iter(target.collect()) if target is not None else iter(())


_slots: dict[str, _Slot] = {}
_slots_lock = threading.Lock()


def bind_runtime(runtime: Any, ttl_s: float = DEFAULT_TTL_S) -> None:
    """Attach ``runtime`` (a PartyRuntime) to the metrics of the agent it belongs to."""
    if not state.enabled():
        return
    if isinstance(getattr(type(runtime.jobs), "owner", 0), (str, type(None))):
        runtime.jobs.owner = runtime.name  # its jobs record into this agent's metrics
    agent = metrics.for_agent(runtime.name)
    with _slots_lock:
        slot = _slots.get(runtime.name)
        if slot is None or getattr(slot, "registry", None) is not agent.registry:
            slot = _slots[runtime.name] = _Slot()
            slot.registry = agent.registry  # type: ignore[attr-defined]
            agent.registry.register(slot)
        slot.target = RuntimeCollector(runtime, ttl_s)
    engine = getattr(runtime.db, "engine", None)
    if engine is not None:
        time_statements(engine, agent.db_statement)
