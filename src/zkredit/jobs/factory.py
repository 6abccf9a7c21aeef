"""Choosing the queue: Redis when ``REDIS_URL`` is set, else the in-process executor."""

from __future__ import annotations

from sqlalchemy import Engine, Table

from zkredit.jobs.core import StoreQueue
from zkredit.jobs.inprocess import InProcessQueue
from zkredit.jobs.redis_queue import RedisJobQueue, RedisQueueOptions
from zkredit.jobs.sql_store import SqlJobStore
from zkredit.jobs.store import MemoryJobStore, PollableJobStore
from zkredit.jobs.table import jobs


def build_queue(
    redis_url: str | None,
    *,
    engine: Engine | None = None,
    table: Table | None = None,
    namespace: str = "zkredit",
    worker_threads: int = 0,
    inprocess_workers: int = 2,
    queues: frozenset[str] | None = None,
) -> StoreQueue:
    """The product's queue (a :class:`zkredit.jobs.api.JobQueue`).

    With ``redis_url``: a Redis queue; ``worker_threads`` > 0 makes this process
    consume too (``python -m zkredit.jobs.worker`` is the usual consumer), from ``queues``
    only when given (default: every queue it registered kinds on).
    Without: an in-process executor with ``inprocess_workers`` threads, whose
    jobs persist in ``table`` (default :data:`zkredit.jobs.table.jobs`, created if
    missing) behind ``engine``, or only in memory when no engine is given.
    """
    if redis_url:
        options = RedisQueueOptions(namespace=namespace, worker_threads=worker_threads,
                                    queues=queues)
        return RedisJobQueue(redis_url, options)
    store: PollableJobStore
    if engine is None:
        store = MemoryJobStore()
    else:
        sql = SqlJobStore(engine, table if table is not None else jobs)
        sql.create_table()
        store = sql
    return InProcessQueue(store, workers=inprocess_workers)
