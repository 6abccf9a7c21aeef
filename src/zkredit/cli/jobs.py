"""``zkredit jobs``: list an agent's dead-letter jobs and retry them.

A job becomes a dead letter when it has used all its attempts (a peer down for
longer than its backoff budget) or failed permanently. The agent's reconciler
revives the step jobs of unfinished loans and transfers by itself; these commands
are for an operator who wants to see what died and why, and to retry it now.
A retried job starts with a fresh attempt budget and is run by the agent's own
workers (this command runs nothing itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from zkredit.cli.output import console
from zkredit.errors import InputError
from zkredit.jobs.api import JobId, JobStatus
from zkredit.jobs.core import StoreQueue
from zkredit.jobs.errors import JobStateError, UnknownJobError
from zkredit.settings import load_settings
from zkredit.store.db import Database
from zkredit.store.errors import NotMigrated

app = typer.Typer(help="Dead-letter jobs of an agent: list and retry.", no_args_is_help=True)

PARTY = typer.Option(..., "--party", help="Whose jobs: worker, credit, remittance, receiver.")
DATA_DIR = typer.Option(
    None, "--data-dir", help="Where SQLite files live (default: ZKREDIT_DATA_DIR or ./data).")
DATABASE_URL = typer.Option(
    None, "--database-url", help="PostgreSQL URL (default: DATABASE_URL; '' forces SQLite).")
SCHEMA_PREFIX = typer.Option(
    None, "--schema-prefix", help="As given to `zkredit serve --schema-prefix`.")
REDIS_URL = typer.Option(
    None, "--redis-url", help="Redis queue URL (default: REDIS_URL; '' for the database queue).")
CHAIN_ID = typer.Option(
    31337, "--chain-id", help="Chain id of the deployment (part of the Redis namespace).")


@app.callback()
def jobs() -> None:
    """Inspect and retry an agent's dead-letter jobs."""


@contextmanager
def _queue(party: str, data_dir: Path | None, database_url: str | None,
           schema_prefix: str | None, redis_url: str | None, chain_id: int
           ) -> Iterator[StoreQueue]:
    """An admin handle on ``party``'s queue, opened as the agent opens it (never started)."""
    from zkredit.jobs.inprocess import InProcessQueue
    from zkredit.jobs.redis_queue import RedisJobQueue, RedisQueueOptions
    from zkredit.jobs.sql_store import SqlJobStore
    from zkredit.store.models import JobRow

    settings = load_settings(check=False)
    redis = settings.queue.redis_url if redis_url is None else redis_url
    if redis:
        namespace = f"zkredit-{schema_prefix or 'main'}-{party}-{chain_id}"
        queue: StoreQueue = RedisJobQueue(redis, RedisQueueOptions(namespace=namespace))
        try:
            yield queue
        finally:
            queue.stop(timeout=1)
        return
    url = settings.database.url if database_url is None else database_url
    schema = f"{schema_prefix}_{party}" if schema_prefix else None
    db = Database.open(party, url, data_dir or settings.app.data_dir, schema=schema,
                       create=False)
    try:
        if not db.current_heads():
            raise NotMigrated(
                f"the database of party {party!r} ({db.where}) has no ZKredit tables",
                hint="Check --party, --data-dir and --database-url; agents migrate on start.",
            )
        yield InProcessQueue(SqlJobStore(db.engine, JobRow.__table__),  # type: ignore[arg-type]
                             workers=1)
    finally:
        db.dispose()


def _line(job: JobStatus) -> str:
    """One dead job per line, tab-separated, so scripts can cut it."""
    return "\t".join((job.id, job.kind, f"{job.attempts}/{job.max_attempts}",
                      job.updated_at.isoformat(timespec="seconds"), job.last_error or ""))


@app.command("dead")
def dead(
    party: str = PARTY, data_dir: Path | None = DATA_DIR, database_url: str | None = DATABASE_URL,
    schema_prefix: str | None = SCHEMA_PREFIX, redis_url: str | None = REDIS_URL,
    chain_id: int = CHAIN_ID,
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, oldest first."),
) -> None:
    """List the agent's dead-letter jobs, oldest death first."""
    with _queue(party, data_dir, database_url, schema_prefix, redis_url, chain_id) as queue:
        letters = queue.dead_letters(limit)
    if not letters:
        console.print(f"No dead jobs for party {party!r}.", highlight=False)
        return
    console.print(f"{len(letters)} dead job(s) of party {party!r} "
                  "(id, kind, attempts, died at, last error):", highlight=False)
    for job in letters:
        console.print(_line(job), highlight=False, markup=False, soft_wrap=True)


@app.command("retry")
def retry(
    job_id: str | None = typer.Argument(None, help="The dead job to retry (see `jobs dead`)."),
    all_dead: bool = typer.Option(False, "--all", help="Retry every dead job of the party."),
    party: str = PARTY, data_dir: Path | None = DATA_DIR, database_url: str | None = DATABASE_URL,
    schema_prefix: str | None = SCHEMA_PREFIX, redis_url: str | None = REDIS_URL,
    chain_id: int = CHAIN_ID,
) -> None:
    """Requeue one dead job (ID) or all of them (--all) with a fresh attempt budget."""
    if (job_id is None) == (not all_dead):
        raise InputError("give either a job ID or --all",
                         hint="`zkredit jobs dead --party P` lists the dead jobs and their ids.")
    with _queue(party, data_dir, database_url, schema_prefix, redis_url, chain_id) as queue:
        ids = [JobId(job_id)] if job_id is not None else [j.id for j in queue.dead_letters(10_000)]
        retried = []
        for one in ids:
            try:
                retried.append(queue.retry_dead(one))
            except UnknownJobError:
                raise InputError(
                    f"party {party!r} has no job {one!r}",
                    hint="`zkredit jobs dead --party P` lists the dead jobs.") from None
            except JobStateError as exc:
                raise InputError(exc.message, hint=exc.hint) from None
    for job in retried:
        console.print(f"Retrying {job.id} ({job.kind}): queued with {job.max_attempts} attempts.",
                      highlight=False)
    if not retried:
        console.print(f"No dead jobs for party {party!r}.", highlight=False)
