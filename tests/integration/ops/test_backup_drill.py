"""The backup drill, as an operator would run it: scenarios 1 and 2 on a live system, a
backup while the agents write, a backup once they stop, the databases wiped, the restore,
every table compared row by row, then the audit logs verify and `zkredit ledger
reconcile` passes. One suite, two stores: SQLite files and PostgreSQL schemas."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import require
from tests.integration.ops.conftest import system_env, zkredit
from zkredit.bootstrap import AGENTS
from zkredit.demo import flows
from zkredit.demo.system import LiveSystem
from zkredit.ops.health import state_parties
from zkredit.store.db import Database
from zkredit.store.ledger import Ledger

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"),
                               connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None


class BackupDrill:
    """Subclasses say where the agents' state lives, and how to wipe it."""

    database_url: str | None = None
    schema_prefix: str | None = None

    def wipe(self, system: LiveSystem) -> None:
        raise NotImplementedError

    def open(self, system: LiveSystem, party: str) -> Database:
        schema = f"{self.schema_prefix}_{party}" if self.schema_prefix else None
        return Database.open(party, self.database_url, system.data_dir, schema=schema,
                             create=False)

    def dump(self, system: LiveSystem) -> dict[str, dict[str, list[dict[str, Any]]]]:
        out = {}
        for party in state_parties():
            db = self.open(system, party)
            out[party] = db.dump_tables()
            db.dispose()
        return out

    def cli(self, system: LiveSystem, *args: str) -> Any:
        takes_prefix = args[0] in ("create", "restore")
        extra = ["--schema-prefix", self.schema_prefix] if self.schema_prefix and takes_prefix \
            else []
        return zkredit(["backup", *args, *extra], system_env(system), system.data_dir)

    def test_backup_wipe_restore_is_identical_row_by_row(self, tmp_path: Path) -> None:
        system = LiveSystem(tmp_path / "system", capture_bodies=False, prover_workers=1,
                            database_url=self.database_url, schema_prefix=self.schema_prefix)
        system.start()
        try:
            client = flows.WorkerClient(system.worker_url)
            assert flows.scenario1(system, client).status == "passed"
            assert flows.scenario2(system, client).status == "passed"
            client.http.close()
            system.anchor_audit_logs()
            live = self.cli(system, "create", "--type", "database", "--json")
            assert live.returncode == 0, live.stderr  # while the agents run and write
        finally:
            system.stop()

        made = self.cli(system, "create", "--type", "database", "--json")
        assert made.returncode == 0, made.stderr
        backup_id = json.loads(made.stdout)["manifest"]["id"]
        before = self.dump(system)
        assert sum(len(rows) for tables in before.values() for rows in tables.values()) > 50

        self.wipe(system)
        restored = self.cli(system, "restore", backup_id)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        after = self.dump(system)
        assert set(before) == {*AGENTS, "access"}
        for party in before:
            assert sorted(after[party]) == sorted(before[party]), party
            for table, rows in before[party].items():
                assert after[party][table] == rows, f"{party}.{table} differs after restore"

        for party in state_parties():
            args = ["audit", "verify", "--party", party, "--data-dir", str(system.data_dir)]
            if self.database_url:
                args += ["--database-url", self.database_url, "--schema",
                         f"{self.schema_prefix}_{party}"]
            audit = zkredit(args, system_env(system), system.data_dir)
            assert audit.returncode == 0, audit.stdout + audit.stderr
            assert audit.stdout.startswith(f"OK: audit log of party {party!r}"), audit.stdout
            db = self.open(system, party)
            assert Ledger(db).trial_balance().balanced, f"{party}'s ledger does not balance"
            db.dispose()

        reconcile = ["ledger", "reconcile", "--data-dir", str(system.data_dir)]
        if self.database_url:
            reconcile += ["--database-url", self.database_url,
                          "--schema-prefix", str(self.schema_prefix)]
        books = zkredit(reconcile, system_env(system), system.data_dir)
        assert books.returncode == 0, books.stdout + books.stderr

        again = self.cli(system, "restore", backup_id)
        assert again.returncode == 2 and "the target databases hold data" in again.stderr
        forced = self.cli(system, "restore", backup_id, "--force", "--json")
        assert forced.returncode == 0, forced.stderr
        safety = json.loads(forced.stdout)["safety_backup"]
        assert safety and safety.startswith("database-")
        assert self.dump(system) == before
        listed = json.loads(self.cli(system, "list", "--json").stdout)["backups"]
        assert {b["id"] for b in listed} >= {backup_id, safety}
        assert all(b["verified"] for b in listed)


@pytest.mark.slow
@pytest.mark.e2e
class TestSQLiteDrill(BackupDrill):
    def wipe(self, system: LiveSystem) -> None:
        for party in state_parties():
            for path in (system.data_dir / party).glob(f"{party}.db*"):
                path.unlink()


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.postgres
class TestPostgresDrill(BackupDrill):
    database_url = PG_URL

    @pytest.fixture(autouse=True)
    def _schemas(self) -> Any:
        require(postgres_available(), "PostgreSQL at 127.0.0.1:5432 with pg_dump/pg_restore "
                "is not available")
        self.schema_prefix = f"drill{uuid.uuid4().hex[:8]}"
        yield
        self._drop()

    def _drop(self) -> None:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            schemas = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE "
                                        ":p"), {"p": f"{self.schema_prefix}\\_%"}).scalars()
            for schema in list(schemas):
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    def wipe(self, system: LiveSystem) -> None:
        self._drop()
