"""F08: ``zkredit jobs dead`` lists a party's dead letters; ``jobs retry ID|--all`` revives them,
and the agent's own workers then run them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zkredit.cli.main import app
from zkredit.errors import InputError
from zkredit.jobs.api import JobState
from zkredit.jobs.inprocess import InProcessQueue
from zkredit.jobs.sql_store import SqlJobStore
from zkredit.store.db import Database
from zkredit.store.models import JobRow

runner = CliRunner()


@pytest.fixture
def party(tmp_path: Path) -> tuple[Database, InProcessQueue, list[str]]:
    """The remittance agent's database with two dead step jobs, as an outage leaves it."""
    db = Database.open("remittance", None, tmp_path)
    db.migrate()
    queue = InProcessQueue(SqlJobStore(db.engine, JobRow.__table__),  # type: ignore[arg-type]
                           workers=1, poll_s=0.02, time_scale=0.001)
    ran: list[str] = []
    receiver_up: list[bool] = []

    def step(payload: dict[str, object]) -> None:
        if not receiver_up:
            raise RuntimeError("receiver agent answered 503: unreachable")
        ran.append(str(payload["transfer_id"]))

    queue.register("remittance.transfer.advance", step, max_attempts=2)
    queue.start()
    for t in ("tr_1", "tr_2"):
        job = queue.enqueue("remittance.transfer.advance", {"transfer_id": t},
                            dedup_key=f"advance:{t}:sent")
        assert queue.wait(job, 10).state is JobState.DEAD
    receiver_up.append(True)
    return db, queue, ran


def cli(tmp_path: Path, *args: str) -> str:
    result = runner.invoke(app, ["jobs", *args, "--party", "remittance", "--data-dir",
                                 str(tmp_path), "--database-url", "", "--redis-url", ""])
    assert result.exit_code == 0, result.output
    return result.output


def test_dead_lists_each_dead_job_with_its_last_error(
    tmp_path: Path, party: tuple[Database, InProcessQueue, list[str]]
) -> None:
    out = cli(tmp_path, "dead")

    assert "remittance.transfer.advance" in out
    assert "503" in out
    assert len(party[1].dead_letters()) == 2
    assert all(j.id in out for j in party[1].dead_letters())


def test_retry_one_job_is_run_by_the_agents_workers(
    tmp_path: Path, party: tuple[Database, InProcessQueue, list[str]]
) -> None:
    _db, queue, ran = party
    first = queue.dead_letters()[0]

    cli(tmp_path, "retry", first.id)

    assert queue.wait(first.id, 10).state is JobState.DONE
    assert ran == ["tr_1"]
    assert [j.id for j in queue.dead_letters()] != [] and first.id not in [
        j.id for j in queue.dead_letters()]


def test_retry_all(tmp_path: Path, party: tuple[Database, InProcessQueue, list[str]]) -> None:
    _db, queue, ran = party
    ids = [j.id for j in queue.dead_letters()]

    out = cli(tmp_path, "retry", "--all")

    assert all(i in out for i in ids)
    for i in ids:
        assert queue.wait(i, 10).state is JobState.DONE
    assert sorted(ran) == ["tr_1", "tr_2"]
    assert "No dead jobs" in cli(tmp_path, "dead")


def test_retry_needs_an_id_or_all(tmp_path: Path,
                                  party: tuple[Database, InProcessQueue, list[str]]) -> None:
    result = runner.invoke(app, ["jobs", "retry", "--party", "remittance", "--data-dir",
                                 str(tmp_path), "--database-url", "", "--redis-url", ""])
    assert isinstance(result.exception, InputError)
    unknown = runner.invoke(app, ["jobs", "retry", "nope", "--party", "remittance", "--data-dir",
                                  str(tmp_path), "--database-url", "", "--redis-url", ""])
    assert isinstance(unknown.exception, InputError)
    assert "no job 'nope'" in str(unknown.exception)


@pytest.fixture(autouse=True)
def _stop(party: tuple[Database, InProcessQueue, list[str]]) -> object:
    yield None
    party[1].stop(timeout=5)
    party[0].dispose()
