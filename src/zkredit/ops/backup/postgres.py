"""``pg_dump`` and ``pg_restore`` for one party's schema.

The connection reaches the tools through libpq's ``PG*`` environment variables, never the
command line, where any user of the machine could read the password. The tools must be
at least the server's major version (``pg_dump`` refuses an older one anyway, less
clearly).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from zkredit.errors import ToolMissingError
from zkredit.ops.backup.errors import BackupError
from zkredit.store.engines import postgres_url


def libpq_env(url: str) -> dict[str, str]:
    parsed: URL = postgres_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for var, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port),
                       ("PGUSER", parsed.username), ("PGPASSWORD", parsed.password),
                       ("PGDATABASE", parsed.database)):
        if value is not None:
            env[var] = str(value)
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if key in parsed.query:
            env[var] = str(parsed.query[key])
    return env


def tool(name: str, engine: Engine) -> str:
    """The path of ``pg_dump``/``pg_restore``, checked against the server's major version."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(f"{name} is not installed, and PostgreSQL backups need it",
                               hint="apt-get install postgresql-client (the server's version).")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    tool_major = int(found.group(1)) if found else 0
    with engine.connect() as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    if tool_major < server // 10000:
        raise ToolMissingError(
            f"{path} is version {tool_major}, older than the server ({server // 10000})",
            hint=f"Install postgresql-client-{server // 10000}, or put it first on PATH.")
    return path


def dump_schema(url: str, schema: str, engine: Engine) -> bytes:
    """A custom-format dump of ``schema`` (tables, data, sequences, indexes)."""
    exe = tool("pg_dump", engine)
    with tempfile.TemporaryDirectory(prefix="zkredit-pgdump-") as tmp:
        out = Path(tmp) / f"{schema}.dump"
        _run([exe, "--format=custom", "--schema", schema, "--no-owner", "--no-privileges",
              "--file", str(out)], url, f"pg_dump of schema {schema}")
        return out.read_bytes()


def restore_schema(url: str, schema: str, dump: bytes, engine: Engine) -> None:
    """Drop ``schema`` if present, then restore it from ``dump`` in one transaction."""
    exe = tool("pg_restore", engine)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    with tempfile.TemporaryDirectory(prefix="zkredit-pgrestore-") as tmp:
        path = Path(tmp) / f"{schema}.dump"
        path.write_bytes(dump)
        _run([exe, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              "--dbname", libpq_env(url).get("PGDATABASE", "postgres"), str(path)],
             url, f"pg_restore of schema {schema}")


def _run(argv: list[str], url: str, what: str) -> None:
    done = subprocess.run(argv, env=libpq_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}",
                          hint="Check DATABASE_URL and that the server accepts this user.")
