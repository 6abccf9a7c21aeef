"""``python -m tests.integration.jobs.inprocess_runner JOBS_DB``: an embedded executor to kill.

Runs the crash tasks on an in-process executor whose jobs persist in the
SQLite file ``JOBS_DB``, until SIGTERM (or SIGKILL, which is the point).
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from sqlalchemy import MetaData, create_engine

from tests.integration.jobs.crash_tasks import setup
from zkredit.jobs import InProcessQueue, SqlJobStore, jobs_table

LEASE_S = 1.0


def open_store(path: str) -> SqlJobStore:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 10})
    store = SqlJobStore(engine, jobs_table(MetaData()))
    store.create_table()
    return store


def main(path: str) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    queue = InProcessQueue(open_store(path), workers=1, lease_s=LEASE_S, poll_s=0.05)
    setup(queue)
    queue.start()
    stop.wait()
    queue.stop(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
