"""What each backup type holds, how it is collected from a running system, and where
its members go back on restore.

- ``database``: every agent's database and the access database (accounts, tokens).
  SQLite through the online backup API (the agents may keep writing: the copy is one
  consistent snapshot); PostgreSQL through ``pg_dump`` of each party's schema.
- ``circuits``: the circuit manifest, sources, examples and committed keys (not the
  public powers-of-tau file, which is public and large).
- ``contracts``: the deployment records (``deployments/``) and the contract artifacts.
- ``logs``: every service's log directory under the data directory, and the chain node's
  log.
- ``metrics``: every service's ``/metrics`` at the time of the backup (Prometheus' own
  time series are backed up on the Prometheus host, with its snapshot API).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, func, inspect, select
from sqlalchemy.exc import OperationalError

from zkredit.bootstrap import SERVICES, agent_urls
from zkredit.ops.backup import postgres
from zkredit.ops.backup.errors import BackupError
from zkredit.ops.health import party_schema, state_parties
from zkredit.settings import Settings, project_root
from zkredit.store.db import Database

META = "meta.json"
Step = Callable[[str], None]


@dataclass
class Collected:
    """A backup's members before packing, and what the manifest says about them."""

    members: dict[str, bytes]
    schema_version: dict[str, Any]
    source: dict[str, Any] = field(default_factory=dict)


def open_party(settings: Settings, party: str, schema_prefix: str | None,
               *, create: bool = False) -> Database:
    return Database.open(party, settings.database.url, settings.app.data_dir,
                         schema=party_schema(party, schema_prefix), create=create)


def row_counts(db: Database) -> dict[str, int]:
    """Rows per table of the party (empty when the database has no tables)."""
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        metadata = MetaData()
        for name in sorted(inspect(conn).get_table_names(schema=db.schema)):
            table = Table(name, metadata, autoload_with=conn, schema=db.schema)
            counts[name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return counts


def has_data(counts: dict[str, int]) -> bool:
    return any(n for name, n in counts.items() if name != "alembic_version")


# -- database ---------------------------------------------------------------------------------


def sqlite_snapshot(path: Path) -> bytes:
    """A consistent copy of a live SQLite database (the online backup API)."""
    with tempfile.TemporaryDirectory(prefix="zkredit-sqlite-") as tmp:
        copy = Path(tmp) / path.name
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
            source.close()
        return copy.read_bytes()


def sqlite_restore(data: bytes, path: Path) -> None:
    """Write the snapshot ``data`` into the database at ``path`` through the backup API, so
    the WAL of the file it replaces cannot resurrect old pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zkredit-sqlite-") as tmp:
        staged = Path(tmp) / path.name
        staged.write_bytes(data)
        source = sqlite3.connect(staged)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()


def collect_database(settings: Settings, schema_prefix: str | None, step: Step,
                     parties: tuple[str, ...] | None = None) -> Collected:
    parties = parties or state_parties()
    members: dict[str, bytes] = {}
    meta: dict[str, Any] = {"parties": {}}
    heads: dict[str, list[str]] = {}
    dialect = "postgresql" if settings.database.url else "sqlite"
    for party in parties:
        step(f"database: {party}")
        db = open_party(settings, party, schema_prefix)
        try:
            if dialect == "sqlite" and not Path(db.where).is_file():
                raise BackupError(f"no database for party {party!r} at {db.where}",
                                  hint="Check ZKREDIT_DATA_DIR; the agents create it on start.")
            counts = row_counts(db)
            heads[party] = list(db.current_heads())
            if dialect == "sqlite":
                members[f"{party}.sqlite"] = sqlite_snapshot(Path(db.where))
            else:
                assert db.schema is not None and settings.database.url
                members[f"{party}.pgdump"] = postgres.dump_schema(
                    settings.database.url, db.schema, db.engine)
            meta["parties"][party] = {"schema": db.schema, "tables": counts}
        except OperationalError as exc:
            raise BackupError(
                f"the database of party {party!r} ({db.where}) failed during the backup: "
                f"{str(exc.orig or exc).splitlines()[0]}",
                hint="Nothing was stored; retry (`zkredit doctor` checks the database).",
            ) from exc
        finally:
            db.dispose()
    meta["dialect"] = dialect
    members[META] = json.dumps(meta, indent=2, sort_keys=True).encode()
    where = {p: open_party(settings, p, schema_prefix).where for p in parties}
    return Collected(members, {"alembic_heads": heads},
                     {"dialect": dialect, "parties": where})


# -- files ------------------------------------------------------------------------------------


def file_roots(settings: Settings, kind: str) -> dict[str, Path]:
    """Where the members of a file backup come from, by the name of their top directory."""
    if kind == "circuits":
        return {"circuits": settings.zk.circuits_manifest.parent}
    if kind == "contracts":
        return {"deployments": settings.app.deployments_dir,
                "artifacts": project_root() / "contracts" / "artifacts"}
    if kind == "logs":
        return {"logs": settings.app.data_dir}
    raise BackupError(f"no file roots for backup type {kind!r}")


def _wanted(kind: str, rel: Path) -> bool:
    if kind == "circuits":
        return rel.suffix != ".ptau" and (rel.parts[0] in ("src", "keys", "examples")
                                          or rel.name == "circuits.json")
    if kind == "logs":
        return (len(rel.parts) >= 3 and rel.parts[0] in SERVICES and rel.parts[1] == "logs") \
            or (rel.parts[0] == "chain" and rel.suffix == ".log")
    return True


def collect_files(settings: Settings, kind: str, step: Step) -> Collected:
    members: dict[str, bytes] = {}
    roots = file_roots(settings, kind)
    for name, root in roots.items():
        step(f"{kind}: {root}")
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not path.is_symlink() and _wanted(kind, rel):
                members[f"{name}/{rel.as_posix()}"] = path.read_bytes()
    if not members:
        listed = ", ".join(str(r) for r in roots.values())
        raise BackupError(f"nothing to back up for {kind}: no files under {listed}")
    version: dict[str, Any] = {"files": len(members)}
    if kind == "circuits":
        keys = roots["circuits"] / "keys" / "MANIFEST.json"
        if keys.is_file():
            manifest = json.loads(keys.read_text())
            version = {"setup": manifest.get("setup"), "key_manifest_version":
                       manifest.get("version"), "transcript_sha256":
                       manifest.get("transcript_sha256")}
    if kind == "contracts":
        version = {"deployments": sorted(m.split("/", 1)[1] for m in members
                                         if m.startswith("deployments/"))}
    return Collected(members, version, {"roots": {k: str(v) for k, v in roots.items()}})


def collect_metrics(settings: Settings, step: Step, timeout_s: float = 5.0) -> Collected:
    import httpx

    members: dict[str, bytes] = {}
    failed: dict[str, str] = {}
    for name, url in agent_urls(settings).items():
        step(f"metrics: {name}")
        try:
            r = httpx.get(f"{url}/metrics", timeout=timeout_s)
            r.raise_for_status()
            members[f"metrics/{name}.prom"] = r.content
        except httpx.HTTPError as exc:
            failed[name] = f"{url}/metrics: {exc or type(exc).__name__}"
    if not members:
        raise BackupError("no service answered /metrics: " + "; ".join(failed.values()),
                          hint="Start the services (`zkredit health` shows which are down).")
    return Collected(members, {"services": sorted(m[8:-5] for m in members)},
                     {"unreachable": failed})
