"""Alembic environment for ZKredit: runs on the connection ``Database.migrate()`` hands over.

The connection is already inside a transaction (so a failed revision leaves nothing
behind) and, on PostgreSQL, carries ``schema_translate_map={None: <party schema>}``
and a transaction-local ``search_path`` on that schema, so revisions written without
a schema land in the party's schema.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from zkredit.store.errors import MigrationError
from zkredit.store.models import Base

config = context.config
connection = config.attributes.get("connection")

if context.is_offline_mode() or not isinstance(connection, Connection):
    raise MigrationError(
        "ZKredit migrations run online, through Database.migrate()",
        hint="Use `Database.open(party, url, data_dir).migrate()`; there is no alembic.ini.",
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table_schema=config.attributes.get("schema"),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
