"""F28: `zkredit keys rotate vault` on PostgreSQL: killed midway it loses nothing, and
run again it finishes; afterwards the old key is no longer needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.integration.store.conftest import PostgresBackend
from zkredit.agents.worker.rotation import reseal_vault
from zkredit.agents.worker.vault import Keyring, VaultError
from zkredit.agents.worker.vaultstore import Vault

pytestmark = pytest.mark.postgres

OLD, NEW = "11" * 32, "22" * 32


class Killed(BaseException):
    """The process dying between two committed rows."""


def test_a_rotation_killed_midway_loses_nothing_and_a_rerun_finishes(
    backend: PostgresBackend,
) -> None:
    db = backend.open("worker")
    old = Vault(db, Keyring.from_settings(OLD, development=False))
    people = [old.create_identity(f"person {n}") for n in range(4)]
    for ident in people:
        old.put(ident.id, "note", {"income": 1234, "who": ident.label})
    both = Keyring.from_settings(NEW, OLD, development=False)

    done: list[str] = []

    def die_after_three(row_id: str) -> None:
        done.append(row_id)
        if len(done) == 3:
            raise Killed()

    with pytest.raises(Killed):
        reseal_vault(db, both, after_row=die_after_three)

    during = Vault(backend.reopen(db), both)  # the agents run on, with both keys
    for ident in people:
        assert during.identity(ident.id).secret == ident.secret
        assert during.latest(ident.id, "note") == {"income": 1234, "who": ident.label}
    new_only = Vault(backend.reopen(db), Keyring.from_settings(NEW, development=False))
    with pytest.raises(VaultError, match="not configured"):
        for ident in people:
            new_only.identity(ident.id)
            new_only.latest(ident.id, "note")

    env = {**os.environ, "ZKREDIT_ENV": "test", "ENCRYPTION_KEY": NEW,
           "ENCRYPTION_KEY_PREVIOUS": OLD, "JWT_SECRET": "x" * 40,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    schema = db.schema
    assert schema is not None and schema.endswith("_worker")
    rerun = subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", "keys", "rotate", "vault", "--env", "test",
         "--database-url", backend.url, "--schema-prefix", schema.removesuffix("_worker"),
         "--json"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["identities"] == 4 and report["items"] == 4
    assert 0 < report["resealed"] < 12  # only what the killed run had not done

    for ident in people:  # the old key is no longer needed
        assert new_only.identity(ident.id).secret == ident.secret
        assert new_only.latest(ident.id, "note") == {"income": 1234, "who": ident.label}
    assert reseal_vault(db, both).resealed == 0
