"""The reconciler: finds work left in a non-terminal state and resumes it.

A step job that exhausts its attempts (a peer down for longer than its backoff
budget, say) becomes a dead letter. Its dedup key still names it, so re-enqueueing
the step returns the dead job and runs nothing: the loan or transfer would wait
for ever. Each agent therefore exposes a ``resume()`` that looks at its own
records, finds every one that is not in a terminal state, and *ensures* the job
that moves it on (``JobQueue.ensure``: create it, or revive it if dead). The
reconciler calls those at start-up and then every ``interval_s``.

Resuming is always safe: every step re-reads its record under a lock and does
nothing unless the record is still where the step expects it, and every effect
at a peer is idempotent by a key derived from the record.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

log = logging.getLogger("zkredit.reconciler")

Resume = Callable[[], int]
"""Ensure the next job of every unfinished record; return how many records it looked at."""

DEFAULT_INTERVAL_S = 60.0


class Reconciler:
    """Runs each agent's ``resume()`` once now and then periodically on a daemon thread."""

    def __init__(self, sources: Mapping[str, Resume], *,
                 interval_s: float = DEFAULT_INTERVAL_S) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.sources = dict(sources)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        """Resume every source; a failing source is logged and does not stop the others."""
        counts: dict[str, int] = {}
        for name, resume in self.sources.items():
            try:
                counts[name] = resume()
            except Exception:  # the next round tries again
                log.exception("reconciling %s failed", name)
                counts[name] = -1
        if any(counts.values()):
            log.info("reconciled unfinished work: %s", counts)
        return counts

    def start(self) -> Reconciler:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="zkredit-reconciler",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        self.run_once()
        while not self._stop.wait(self.interval_s):
            self.run_once()
