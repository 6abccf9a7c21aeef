"""The seam of the shared store suite: each database backend opens fresh party databases.

A suite class asks the ``backend`` fixture for databases; ``tests/unit/store`` supplies
SQLite, ``tests/integration/store`` supplies PostgreSQL (web3.py-style shared suites).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from tests.conftest import ROOT
from zkredit.cli import audit
from zkredit.cli.output import exit_status_for
from zkredit.store.db import Database

PARTY_KEY: LocalAccount = Account.from_key("0x" + "11" * 32)
"""The signing key of the party under test."""
ATTACKER_KEY: LocalAccount = Account.from_key("0x" + "66" * 32)
"""A key nobody trusts."""


class StoreBackend(Protocol):
    """Opens databases on one backend and says how the CLI reaches them."""

    name: str

    def open(self, party: str = "gateway", *, migrate: bool = True) -> Database:
        """A fresh, empty database of ``party`` (migrated unless told otherwise)."""
        ...

    def reopen(self, db: Database) -> Database:
        """Another :class:`Database` (its own pool) on the same storage as ``db``."""
        ...

    def cli_args(self, db: Database) -> list[str]:
        """``zkredit audit verify`` options that select ``db``."""
        ...

    def close(self) -> None:
        """Dispose every database this backend opened."""
        ...


class SQLiteBackend:
    """Each database is a SQLite file under a per-test directory."""

    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._opened: list[Database] = []
        self._n = itertools.count()

    def open(self, party: str = "gateway", *, migrate: bool = True) -> Database:
        data_dir = self.root / f"d{next(self._n)}"
        db = Database.open(party, None, data_dir)
        self._opened.append(db)
        if migrate:
            db.migrate()
        return db

    def reopen(self, db: Database) -> Database:
        twin = Database.open(db.party, None, Path(db.where).parents[1], create=False)
        self._opened.append(twin)
        return twin

    def cli_args(self, db: Database) -> list[str]:
        return ["--data-dir", str(Path(db.where).parents[1]), "--database-url", ""]

    def close(self) -> None:
        for db in self._opened:
            db.dispose()


def invoke_cli(*args: str) -> tuple[int, BaseException | None, str]:
    """Run ``zkredit audit ...`` in-process: the exit code the funnel would give, the
    exception it would print, and stdout."""
    root = typer.Typer()
    root.add_typer(audit.app, name="audit")
    result = CliRunner().invoke(root, list(args), terminal_width=200)
    error = result.exception if not isinstance(result.exception, SystemExit) else None
    code = exit_status_for(error) if error is not None else result.exit_code
    return int(code), error, result.output


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``zkredit`` with the ``audit`` group as a user would: real process, real exit code."""
    program = (
        "from zkredit.cli import audit, main\n"
        "if not any(g.name == 'audit' for g in main.app.registered_groups):\n"
        "    main.app.add_typer(audit.app, name='audit')\n"
        "main.run()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
