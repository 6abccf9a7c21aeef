"""A :class:`JobStore` in Redis: one hash per job, atomic Lua scripts for dedup and CAS.

Keys (``ns`` is the queue's namespace)::

    ns:job:<id>       hash: the job's columns (times in epoch milliseconds)
    ns:dedup:<key>    string: the id of the job that owns the dedup key (SET NX)
    ns:dead           sorted set: dead job ids by time of death
    ns:unsent         sorted set: jobs created but whose first message is not yet
                      confirmed sent; a producer crash in between is repaired by
                      the worker's sweep (RedisJobQueue.resend_unsent)

Jobs and dedup keys never expire: a dedup key must keep naming its job, or a
repeated request would run a second time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import redis

from zkredit.jobs.api import JobId, JobState
from zkredit.jobs.record import Change, Expect, JobRecord

_CREATE = """
-- KEYS: job hash, dedup key ('' if none), unsent zset. ARGV: id, created_ms, field/value...
if KEYS[2] ~= '' then
  local holder = redis.call('GET', KEYS[2])
  if holder then return holder end
  redis.call('SET', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return ARGV[1]
"""

_CAS = """
-- KEYS: job hash, dead zset.
-- ARGV: status, attempts, due_by_ms ('' = any), id, now_ms, field/value...
local cur = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'next_run_at')
if not cur[1] or cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
if ARGV[3] ~= '' and tonumber(cur[3]) > tonumber(ARGV[3]) then return 0 end
local new_status = nil
for i = 6, #ARGV, 2 do
  if ARGV[i] == 'status' then new_status = ARGV[i + 1] end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
if new_status == 'dead' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
elseif new_status and cur[1] == 'dead' then
  redis.call('ZREM', KEYS[2], ARGV[4])
end
return 1
"""


def to_ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def from_ms(ms: str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _encode(columns: dict[str, Any]) -> list[str]:
    flat: list[str] = []
    for name, value in columns.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            text = str(to_ms(value))
        elif isinstance(value, dict):
            text = json.dumps(value, sort_keys=True)
        else:
            text = str(value)
        flat += [name, text]
    return flat


def _decode(fields: dict[str, str]) -> JobRecord:
    return JobRecord(
        id=JobId(fields["id"]),
        kind=fields["kind"],
        dedup_key=fields.get("dedup_key"),
        payload=json.loads(fields["payload"]),
        state=JobState(fields["status"]),
        attempts=int(fields["attempts"]),
        max_attempts=int(fields["max_attempts"]),
        next_run_at=from_ms(fields["next_run_at"]),
        last_error=fields.get("last_error"),
        result=json.loads(fields["result"]) if "result" in fields else None,
        created_at=from_ms(fields["created_at"]),
        updated_at=from_ms(fields["updated_at"]),
    )


class RedisJobStore:
    """Jobs under ``namespace`` in the Redis behind ``client`` (``decode_responses=True``)."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._create = client.register_script(_CREATE)
        self._cas = client.register_script(_CAS)

    def key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def insert(self, record: JobRecord) -> JobRecord:
        columns = {
            "id": record.id,
            "kind": record.kind,
            "dedup_key": record.dedup_key,
            "payload": record.payload,
            "status": record.state.value,
            "attempts": record.attempts,
            "max_attempts": record.max_attempts,
            "next_run_at": record.next_run_at,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }
        dedup = self.key("dedup", record.dedup_key) if record.dedup_key is not None else ""
        holder = self._create(
            keys=[self.key("job", record.id), dedup, self.key("unsent")],
            args=[record.id, to_ms(record.created_at), *_encode(columns)],
        )
        if holder == record.id:
            return record
        existing = self.get(JobId(str(holder)))
        if existing is None:  # pragma: no cover - the script writes both or neither
            raise RuntimeError(f"dedup key {record.dedup_key!r} names missing job {holder}")
        return existing

    def get(self, job_id: JobId) -> JobRecord | None:
        fields = cast(dict[str, str], self.client.hgetall(self.key("job", job_id)))
        return _decode(fields) if fields else None

    def find(self, dedup_key: str) -> JobRecord | None:
        holder = cast(str | None, self.client.get(self.key("dedup", dedup_key)))
        return self.get(JobId(holder)) if holder else None

    def cas(self, job_id: JobId, expect: Expect, change: Change) -> bool:
        due_by = "" if expect.due_by is None else str(to_ms(expect.due_by))
        done = self._cas(
            keys=[self.key("job", job_id), self.key("dead")],
            args=[
                expect.state.value,
                str(expect.attempts),
                due_by,
                job_id,
                to_ms(change.updated_at),
                *_encode(change.columns()),
            ],
        )
        return bool(done)

    def dead(self, limit: int) -> list[JobRecord]:
        ids = cast(list[str], self.client.zrange(self.key("dead"), 0, limit - 1))
        records = (self.get(JobId(i)) for i in ids)
        return [r for r in records if r is not None]

    def counts(self) -> dict[JobState, int]:
        """Dead jobs only: Redis keeps no index of the others (the broker's queue has them)."""
        return {JobState.DEAD: int(self.client.zcard(self.key("dead")))}

    def mark_sent(self, job_id: JobId) -> None:
        self.client.zrem(self.key("unsent"), job_id)

    def mark_unsent(self, job_id: JobId, since: datetime) -> None:
        """Have a consumer's sweep send ``job_id`` (revived by a process that cannot)."""
        self.client.zadd(self.key("unsent"), {job_id: to_ms(since)})

    def unsent_before(self, cutoff: datetime, limit: int = 100) -> list[JobId]:
        ids = cast(
            list[str],
            self.client.zrangebyscore(self.key("unsent"), 0, to_ms(cutoff), start=0, num=limit),
        )
        return [JobId(i) for i in ids]
