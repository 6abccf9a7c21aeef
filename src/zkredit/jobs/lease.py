"""Keeping the leases of running attempts alive, and ending attempts that overrun.

One daemon thread per executor renews every tracked attempt's lease each
``lease_s / 3`` seconds, so a worker that is alive keeps its jobs while a dead
one loses them within ``lease_s``. An attempt running longer than its spec's
``timeout_s`` is handed to ``on_timeout`` (which records a failure) and no
longer renewed; a thread cannot be killed, so when the handler finally
returns, its late outcome is refused by the attempt fence.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from zkredit.jobs.machine import JobMachine
from zkredit.jobs.record import JobRecord

log = logging.getLogger(__name__)


@dataclass
class _Attempt:
    record: JobRecord
    deadline: float  # time.monotonic()


class LeaseKeeper:
    def __init__(
        self,
        machine: JobMachine,
        *,
        on_timeout: Callable[[JobRecord], None],
        interval_s: float | None = None,
    ) -> None:
        self.machine = machine
        self.on_timeout = on_timeout
        self.interval_s = interval_s or machine.lease.total_seconds() / 3
        self._attempts: dict[tuple[str, int], _Attempt] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="zkredit-job-leases", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @contextmanager
    def track(self, record: JobRecord, timeout_s: float) -> Iterator[None]:
        key = (record.id, record.attempts)
        with self._lock:
            self._attempts[key] = _Attempt(record, time.monotonic() + timeout_s)
        try:
            yield
        finally:
            with self._lock:
                self._attempts.pop(key, None)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.tick()

    def tick(self) -> None:
        """Renew or time out every tracked attempt once."""
        now = time.monotonic()
        with self._lock:
            attempts = list(self._attempts.items())
        for key, attempt in attempts:
            try:
                if now >= attempt.deadline:
                    with self._lock:
                        self._attempts.pop(key, None)
                    self.on_timeout(attempt.record)
                elif not self.machine.renew(attempt.record):
                    log.warning("job %s lost the lease of attempt %d", key[0], key[1])
                    with self._lock:
                        self._attempts.pop(key, None)
            except Exception:  # the store may be briefly unreachable; try again next tick
                log.exception("could not renew the lease of job %s", key[0])
