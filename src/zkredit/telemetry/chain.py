"""Chain metrics: transaction time and gas, RPC failures, and whether the node answers.

:func:`transaction` wraps one send-to-receipt of :class:`~zkredit.chain.client.ChainClient`;
the label is the contract function's ABI name (``verifyAndAttestFor``), ``deploy``
or ``transfer``: a bounded set. :class:`ChainCollector` asks the most recently
created client for the block number at scrape time (cached ``ttl_s``), giving
``zkredit_chain_up`` for the ChainUnreachable alert.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanKind
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from zkredit.telemetry import metrics, state, tracing

DEFAULT_TTL_S = 5.0


@dataclass
class TxObservation:
    gas_used: int | None = None


def function_label(fn: Any) -> str:
    """The ABI name of a contract function, ``deploy`` for a constructor, else ``transfer``."""
    if fn is None:
        return "transfer"
    name = getattr(fn, "fn_name", None)
    return str(name) if name else "deploy"


@contextmanager
def transaction(function: str) -> Iterator[TxObservation]:
    """Time one transaction; set ``gas_used`` on the observation once it is mined."""
    obs = TxObservation()
    if not state.enabled():
        yield obs
        return
    started = time.perf_counter()
    status = "error"
    with tracing.span(f"chain.tx {function}", {"zkredit.chain.function": function},
                      kind=SpanKind.CLIENT) as span:
        try:
            yield obs
            status = "ok"
        except Exception as exc:
            status = "reverted" if type(exc).__name__ == "TxReverted" else "error"
            raise
        finally:
            metrics.current().chain_transaction(
                function, time.perf_counter() - started, status, obs.gas_used)
            tracing.set_attributes(span, {"zkredit.chain.status": status,
                                          "zkredit.chain.gas_used": obs.gas_used})


_client: weakref.ReferenceType[Any] | None = None


def watch(client: Any) -> None:
    """Probe ``client`` (the latest chain client of this process) at scrape time."""
    global _client
    if state.enabled():
        _client = weakref.ref(client)


class ChainCollector(Collector):
    def __init__(self, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cached: tuple[float, tuple[float, float | None]] | None = None

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def _probe(self) -> tuple[float, float | None] | None:
        client = _client() if _client is not None else None
        if client is None:
            return None
        now = time.monotonic()
        with self._lock:
            if self._cached is not None and self._cached[0] > now:
                return self._cached[1]
            try:
                result: tuple[float, float | None] = (1.0, float(client.block_number()))
            except Exception:  # unreachable, or answering nonsense
                result = (0.0, None)
            self._cached = (now + self.ttl_s, result)
            return result

    def collect(self) -> Iterator[Metric]:
        probe = self._probe()
        if probe is None:
            return
        up = GaugeMetricFamily("zkredit_chain_up", "1 when the chain node answers, else 0")
        up.add_metric([], probe[0])
        yield up
        if probe[1] is not None:
            block = GaugeMetricFamily("zkredit_chain_block_number", "The node's latest block")
            block.add_metric([], probe[1])
            yield block
