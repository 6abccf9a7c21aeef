"""Alembic, driven from code: no ``alembic.ini`` at run time.

Revisions live in ``migrations/versions/``. The tables every party has form the
``common`` branch; a party's own tables form a branch labelled with the party's
name (``credit``, ``worker`` ...). Upgrading a party applies ``common@head`` and,
when it exists, ``<party>@head``, so one party's tables never appear in another
party's database.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection

from zkredit.store.errors import MigrationError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
COMMON_BRANCH = "common"


def alembic_config(
    *,
    connection: Connection | None = None,
    schema: str | None = None,
    version_locations: Sequence[Path] = (),
) -> Config:
    """An Alembic :class:`Config` for ZKredit's revisions, built in code.

    ``connection`` (already in a transaction) and ``schema`` reach ``env.py`` through
    ``Config.attributes``; ``version_locations`` adds directories of extra revisions.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    locations = [MIGRATIONS_DIR / "versions", *version_locations]
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    return cfg


def branch_targets(cfg: Config, party: str) -> list[str]:
    """The upgrade targets of ``party``: the common branch, then the party's own if any."""
    script = ScriptDirectory.from_config(cfg)
    labels: set[str] = set()
    for revision in script.walk_revisions():
        labels.update(revision.branch_labels)
    return [f"{label}@head" for label in (COMMON_BRANCH, party) if label in labels]


def is_current(cfg: Config, party: str, heads: Sequence[str]) -> bool:
    """Whether a database at ``heads`` already has every revision ``party`` needs.

    Alembic records only the tips: a branch revision that ``depends_on`` a common
    one stands for both, so this compares ancestries, not the recorded ids.
    """
    script = ScriptDirectory.from_config(cfg)
    applied: set[str] = set()
    stack = list(heads)
    try:
        while stack:
            revision = script.get_revision(stack.pop())
            if revision is None or revision.revision in applied:
                continue
            applied.add(revision.revision)
            stack.extend(_ids(revision.down_revision))
            stack.extend(_ids(revision.dependencies))
        needed = {
            r.revision
            for target in branch_targets(cfg, party)
            for r in script.get_revisions(target)
            if r is not None
        }
    except CommandError:  # a recorded revision this code does not know: newer database
        return False
    return needed <= applied


def _ids(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def upgrade(cfg: Config, party: str) -> None:
    """Apply every missing revision of ``party`` on the connection held by ``cfg``."""
    try:
        for target in branch_targets(cfg, party):
            command.upgrade(cfg, target)
    except CommandError as exc:
        raise MigrationError(
            f"cannot migrate the database of party {party!r}: {exc}",
            hint="Check that every revision names an existing down_revision and branch.",
        ) from exc


def current_heads(connection: Connection, schema: str | None) -> tuple[str, ...]:
    """The revisions recorded in the party's ``alembic_version`` table (empty if none)."""
    opts = {"version_table_schema": schema} if schema else {}
    context = MigrationContext.configure(connection, opts=opts)
    return tuple(context.get_current_heads())
