"""``python -m zkredit.jobs.worker SETUP``: dramatiq worker processes for the Redis queue.

``SETUP`` is ``module:function``; each worker process imports it and calls it
with its :class:`RedisJobQueue` to register the handlers it serves and, with
``queue.on_worker_start(...)``, what to warm once per process (proving keys).
The parent process only supervises: it restarts a worker process that dies
and stops them all on SIGTERM/SIGINT. Processes are spawned, not forked, so no
parent state (wasmtime engines, sockets) leaks into them.

Depends on nothing of zkredit but :mod:`zkredit.jobs`, so it runs in a slim
worker image.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from zkredit.jobs.api import JobQueue
from zkredit.jobs.redis_queue import RedisJobQueue, RedisQueueOptions

log = logging.getLogger("zkredit.jobs.worker")

Setup = Callable[[JobQueue], None]

_RESTART_DELAY_S = 1.0


@dataclass(frozen=True)
class WorkerConfig:
    setup: str
    redis_url: str
    broker_url: str | None
    options: RedisQueueOptions
    shutdown_timeout_s: float
    log_level: str


def load_setup(path: str) -> Setup:
    module_name, sep, attr = path.partition(":")
    if not sep or not attr:
        raise ValueError(f"SETUP must look like 'package.module:function', got {path!r}")
    func: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        func = getattr(func, part)
    if not callable(func):
        raise ValueError(f"{path} is not callable")
    setup: Setup = func
    return setup


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s [pid %(process)d %(threadName)s] %(name)s: %(message)s",
    )


def run_worker_process(config: WorkerConfig) -> None:
    """One worker process: set up, warm, consume until SIGTERM/SIGINT or orphaned."""
    _configure_logging(config.log_level)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    parent = os.getppid()
    queue = RedisJobQueue(config.redis_url, config.options, broker_url=config.broker_url)
    load_setup(config.setup)(queue)
    queue.start()
    log.info("worker process ready: kinds %s", ", ".join(queue.kinds) or "(none)")
    # A supervisor killed with SIGKILL cannot stop us: leave when we are orphaned.
    while not stop.wait(1.0) and os.getppid() == parent:
        pass
    log.info("worker process stopping")
    queue.stop(timeout=config.shutdown_timeout_s)


class Supervisor:
    """Keeps ``processes`` worker processes running."""

    def __init__(self, config: WorkerConfig, processes: int) -> None:
        self.config = config
        self.processes = processes
        self.ctx = mp.get_context("spawn")
        self.children: list[Any] = []
        self.stopping = threading.Event()

    def _spawn(self) -> Any:
        proc = self.ctx.Process(target=run_worker_process, args=(self.config,), daemon=False)
        proc.start()
        return proc

    def run(self) -> int:
        self.children = [self._spawn() for _ in range(self.processes)]
        while not self.stopping.wait(0.5):
            for i, proc in enumerate(self.children):
                if proc.exitcode is not None:
                    log.warning("worker pid %s exited with %s; restarting", proc.pid, proc.exitcode)
                    time.sleep(_RESTART_DELAY_S)
                    self.children[i] = self._spawn()
        for proc in self.children:
            if proc.exitcode is None:
                proc.terminate()  # SIGTERM: finish running attempts, requeue prefetched
        deadline = time.monotonic() + self.config.shutdown_timeout_s + 5
        for proc in self.children:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.exitcode is None:
                proc.kill()
        return 0

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()


def parse_args(argv: Sequence[str] | None) -> tuple[WorkerConfig, int]:
    defaults = RedisQueueOptions()
    p = argparse.ArgumentParser(prog="python -m zkredit.jobs.worker", description=__doc__)
    p.add_argument("setup", help="module:function that registers handlers on the queue")
    p.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    p.add_argument("--broker-url", default=None, help="dramatiq's Redis, if not --redis-url")
    p.add_argument("--namespace", default=defaults.namespace)
    p.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    p.add_argument("--threads", type=int, default=1, help="job threads per process")
    p.add_argument("--queues", nargs="*", default=None, help="dramatiq queues to consume")
    p.add_argument("--heartbeat-timeout-ms", type=int, default=defaults.heartbeat_timeout_ms)
    p.add_argument("--maintenance-chance", type=int, default=defaults.maintenance_chance)
    p.add_argument("--worker-timeout-ms", type=int, default=defaults.worker_timeout_ms)
    p.add_argument("--lease-s", type=float, default=defaults.lease_s)
    p.add_argument("--resend-after-s", type=float, default=defaults.resend_after_s)
    p.add_argument("--time-scale", type=float, default=defaults.time_scale)
    p.add_argument("--shutdown-timeout-s", type=float, default=30.0)
    p.add_argument("--log-level", default="info")
    args = p.parse_args(argv)
    if not args.redis_url:
        p.error("no Redis: pass --redis-url or set REDIS_URL")
    if args.processes < 1 or args.threads < 1:
        p.error("--processes and --threads must be at least 1")
    options = RedisQueueOptions(
        namespace=args.namespace,
        worker_threads=args.threads,
        queues=frozenset(args.queues) if args.queues else None,
        heartbeat_timeout_ms=args.heartbeat_timeout_ms,
        maintenance_chance=args.maintenance_chance,
        worker_timeout_ms=args.worker_timeout_ms,
        lease_s=args.lease_s,
        resend_after_s=args.resend_after_s,
        time_scale=args.time_scale,
    )
    config = WorkerConfig(
        setup=args.setup,
        redis_url=args.redis_url,
        broker_url=args.broker_url,
        options=options,
        shutdown_timeout_s=args.shutdown_timeout_s,
        log_level=args.log_level,
    )
    return config, args.processes


def main(argv: Sequence[str] | None = None) -> int:
    config, processes = parse_args(argv)
    try:
        load_setup(config.setup)  # fail fast, in the parent, on a bad SETUP
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"Error: cannot load {config.setup}: {exc}", file=sys.stderr)
        return 2
    _configure_logging(config.log_level)
    supervisor = Supervisor(config, processes)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    log.info(
        "starting %d worker process(es) x %d thread(s)", processes, config.options.worker_threads
    )
    return supervisor.run()


if __name__ == "__main__":
    # Run the importable module's main, so spawned children unpickle
    # ``zkredit.jobs.worker.run_worker_process`` rather than ``__main__``'s copy.
    from zkredit.jobs.worker import main as _main

    sys.exit(_main())
