"""The access database's branch creates exactly the tables its models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

import zkredit.users.models  # noqa: F401  (registers the tables)
from zkredit.store.db import Database
from zkredit.store.models import Base


def test_the_access_branch_matches_its_models(tmp_path: Path) -> None:
    db = Database.open("access", None, tmp_path)
    db.migrate()
    tables = set(db.dump_tables()) - {"alembic_version"}
    own = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("access_")}
    assert own and own <= tables, own - tables
    mine = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name in tables:
            table.to_metadata(mine)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, mine) == []
    db.dispose()
