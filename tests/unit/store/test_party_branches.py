"""Every agent's Alembic branch creates exactly the tables its models declare."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from zkredit.store.db import Database
from zkredit.store.models import Base

PARTIES = ["worker", "credit", "remittance"]


@pytest.mark.parametrize("party", PARTIES)
def test_party_branch_matches_its_models(party: str, tmp_path: Path) -> None:
    try:
        importlib.import_module(f"zkredit.agents.{party}.models")
    except ModuleNotFoundError:
        pytest.fail(f"zkredit.agents.{party}.models is missing")
    db = Database.open(party, None, tmp_path)
    db.migrate()
    mine = MetaData()
    tables = set(db.dump_tables()) - {"alembic_version"}
    for table in Base.metadata.sorted_tables:
        if table.name in tables:
            table.to_metadata(mine)
    own = {t.name for t in Base.metadata.sorted_tables if t.name.startswith(f"{party}_")}
    assert own, f"{party} declares no tables of its own"
    assert own <= tables, f"{party}: tables without a migration: {own - tables}"
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, mine) == []
