"""``zkredit backup``: encrypted, verified backups, their retention, and restore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from zkredit.cli.output import console, err_console, progress_bar

app = typer.Typer(
    help=(
        "Encrypted, verified backups: create, list, verify, restore, prune, schedule.\n\n"
        "A backup is gzip then AES-256-GCM under a key derived (HKDF) from BACKUP_KEY, else "
        "ENCRYPTION_KEY, with a manifest (id, type, time, schema version, sizes, sha256 of "
        "plaintext and ciphertext). It is stored in <data_dir>/backups, or --store DIR or "
        "s3://BUCKET/PREFIX, and verified from the store before it counts.\n\n"
        "Examples:\n\n"
        "  zkredit backup create --type database --env production\n\n"
        "  zkredit backup list --store s3://zkredit-backups/prod\n\n"
        "  zkredit backup restore database-20250101T020000Z-1a2b3c --force"
    ),
    no_args_is_help=True,
)

TYPES_HELP = "database | circuits | contracts | logs | metrics"
ENV = typer.Option(None, "--env", "-e", help="Environment (environments/ENV.yml; default "
                   "ZKREDIT_ENV, else development).")
STORE = typer.Option(None, "--store", help="A directory, or s3://BUCKET/PREFIX (default: "
                     "ZKREDIT_BACKUP_STORE, else <data_dir>/backups).")
S3_ENDPOINT = typer.Option(None, "--s3-endpoint", help="S3 endpoint URL (MinIO, a test "
                           "server; default: AWS_ENDPOINT_URL, else AWS).")
PREFIX = typer.Option(None, "--schema-prefix", help="As `zkredit serve --schema-prefix`: the "
                      "agents' PostgreSQL schemas are PREFIX_<agent>.")
JSON = typer.Option(False, "--json", help="Print one JSON object.")


def _backups(env: str | None, store: str | None, s3_endpoint: str | None,
             schema_prefix: str | None, step: Any = None) -> Any:
    from zkredit.ops.backup.service import Backups, backup_key, default_store
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env=env)
    return Backups(settings, default_store(settings, store, s3_endpoint), backup_key(settings),
                   schema_prefix=schema_prefix, step=step)


@contextmanager
def _progress(title: str, total: int, quiet: bool) -> Iterator[Any]:
    """A step callback that advances a progress bar (none with --json)."""
    if quiet:
        yield lambda _message: None
        return
    with progress_bar(title, total) as bar:
        task = bar.tasks[0].id

        def step(message: str) -> None:
            bar.update(task, description=message, advance=1)

        yield step
        bar.update(task, description=title, completed=bar.tasks[0].total)


def _steps(kind: str) -> int:
    from zkredit.bootstrap import AGENTS, SERVICES

    return {"database": len(AGENTS), "metrics": len(SERVICES)}.get(kind, 2) + 3


@app.command("create")
def create(
    kind: str = typer.Option(..., "--type", "-t", help=TYPES_HELP),
    env: str | None = ENV, store: str | None = STORE, s3_endpoint: str | None = S3_ENDPOINT,
    schema_prefix: str | None = PREFIX,
    label: str = typer.Option("manual", "--kind", help="manual | scheduled (as recorded "
                              "in the manifest)."),
    as_json: bool = JSON,
) -> None:
    """Back up one type, store it, and verify the stored copy.

    database: every agent's database (SQLite through the online backup API, so the agents
    keep running; PostgreSQL through pg_dump of each party's schema). circuits: manifest,
    sources and keys. contracts: deployment records and artifacts. logs: every service's
    logs. metrics: every service's /metrics now.

    After a verified backup, zkredit_backup_last_success_timestamp_seconds{type} is
    rewritten in the textfile <data_dir>/backups/zkredit_backup.prom (ZKREDIT_BACKUP_TEXTFILE)
    and pushed to PROMETHEUS_PUSHGATEWAY_URL when set.

    Examples:

      zkredit backup create --type database

      BACKUP_KEY=$(cat /run/secrets/backup_key) zkredit backup create -t circuits --store s3://b/zk
    """
    from zkredit.ops.backup.manifest import TYPES
    from zkredit.ops.backup.metrics import publish

    if kind not in TYPES:
        from zkredit.errors import InputError

        raise InputError(f"--type {kind!r}: choose one of {', '.join(TYPES)}")
    with _progress(f"{kind} backup", _steps(kind), as_json) as step:
        backups = _backups(env, store, s3_endpoint, schema_prefix, step)
        manifest = backups.create(kind, label=label)
    published = publish(backups.settings, backups.verified())
    if as_json:
        typer.echo(json.dumps({"manifest": manifest.to_json(), "store": backups.store.where,
                               "metrics": published}, indent=2))
        return
    sizes = manifest.sizes
    console.print(
        f"[green]verified[/] {manifest.id}: {sizes['plaintext']} bytes, {sizes['compressed']} "
        f"gzip, {sizes['ciphertext']} encrypted ({manifest.encryption['key_source']}, key id "
        f"{manifest.key_id}) in {backups.store.where}", highlight=False)
    console.print(f"sha256 plaintext {manifest.sha256['plaintext']}", highlight=False)
    console.print(f"sha256 ciphertext {manifest.sha256['ciphertext']}", highlight=False)


@app.command("list")
def list_backups(
    kind: str | None = typer.Option(None, "--type", "-t", help=f"Only this type ({TYPES_HELP})."),
    env: str | None = ENV, store: str | None = STORE, s3_endpoint: str | None = S3_ENDPOINT,
    as_json: bool = JSON,
) -> None:
    """List the backups in the store, newest first, with their last verification.

    Examples:

      zkredit backup list

      zkredit backup list --type database --json | jq '.backups[0].id'
    """
    backups = _backups(env, store, s3_endpoint, None)
    entries = backups.entries(kind)
    if as_json:
        typer.echo(json.dumps({"store": backups.store.where,
                               "backups": [e.to_json() for e in entries]}, indent=2))
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "type", "kind", "created", "bytes", "verified"):
        table.add_column(column)
    for e in entries:
        m = e.manifest
        verified = ("[green]ok[/] " + (e.verified_at or "") if e.verified_ok
                    else "[red]FAILED[/] " + e.detail if e.verified_ok is False else "never")
        table.add_row(m.id, m.type, m.kind, m.created_at, str(m.sizes.get("ciphertext")),
                      verified)
    console.print(table, highlight=False)
    console.print(f"{len(entries)} backup(s) in {backups.store.where}", highlight=False)


@app.command("verify")
def verify(
    backup_id: str = typer.Argument(..., metavar="ID", help="The backup's id (`backup list`)."),
    env: str | None = ENV, store: str | None = STORE, s3_endpoint: str | None = S3_ENDPOINT,
    as_json: bool = JSON,
) -> None:
    """Check a backup without restoring it; exit 8 naming the check that failed.

    In order: the key id (wrong key), the manifest's HMAC (edited manifest), the
    ciphertext's sha256 (altered or truncated), the AES-GCM tag, the plaintext's sha256,
    every archive member's sha256.

    Example:

      zkredit backup verify database-20250101T020000Z-1a2b3c
    """
    backups = _backups(env, store, s3_endpoint, None)
    manifest = backups.verify(backup_id)
    if as_json:
        typer.echo(json.dumps({"id": manifest.id, "ok": True,
                               "members": len(manifest.contents)}, indent=2))
        return
    console.print(f"[green]OK[/]: {manifest.id}: key id, manifest HMAC, ciphertext sha256, "
                  f"AES-GCM tag, plaintext sha256 and {len(manifest.contents)} member(s) "
                  "verify", highlight=False)


@app.command("restore")
def restore(
    backup_id: str = typer.Argument(..., metavar="ID", help="The backup's id (`backup list`)."),
    force: bool = typer.Option(False, "--force", help="Overwrite current data (a safety "
                               "backup of it is taken first)."),
    target: Path | None = typer.Option(None, "--target", help="Files only: extract here "
                                       "instead of in place."),
    env: str | None = ENV, store: str | None = STORE, s3_endpoint: str | None = S3_ENDPOINT,
    schema_prefix: str | None = PREFIX, as_json: bool = JSON,
) -> None:
    """Verify a backup, then restore it.

    A database backup restores into the configured databases: into fresh ones (no data)
    directly; over current data only with --force, after a safety backup of it. The agents
    of those databases must be stopped. circuits and contracts restore in place (changed
    files need --force), logs and metrics into <data_dir>/restored/ID (or --target).
    A backup that fails any check is refused before anything is written.

    Examples:

      zkredit backup restore database-20250101T020000Z-1a2b3c

      zkredit backup restore circuits-20250105T010000Z-9f8e7d --target /tmp/circuits
    """
    with _progress(f"restore {backup_id}", 8, as_json) as step:
        backups = _backups(env, store, s3_endpoint, schema_prefix, step)
        report = backups.restore(backup_id, force=force, target=target)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    if report.safety_backup:
        console.print(f"safety backup of the current data: {report.safety_backup}",
                      highlight=False)
    console.print(f"[green]restored[/] {report.id} into {report.target}", highlight=False)
    for name, value in report.restored.items():
        console.print(f"  {name}: {value}", highlight=False)
    for note in report.notes:
        console.print(f"  note: {note}", highlight=False)


@app.command("prune")
def prune(
    kind: str | None = typer.Option(None, "--type", "-t", help=f"Only this type ({TYPES_HELP})."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be deleted."),
    env: str | None = ENV, store: str | None = STORE, s3_endpoint: str | None = S3_ENDPOINT,
    as_json: bool = JSON,
) -> None:
    """Delete backups older than their type's retention, never the newest verified ones.

    Retention (`zkredit backup schedule` prints it): database the environment's
    services.database.backup_retention_days (else 30 days), keep at least 7; circuits 90
    days, 4; contracts 365 days, 3; logs 30 days, 7; metrics 7 days, 4.

    Example:

      zkredit backup prune --type database --dry-run
    """
    from zkredit.ops.backup.metrics import publish

    backups = _backups(env, store, s3_endpoint, None)
    report = backups.prune(kind, dry_run=dry_run)
    if not dry_run:
        publish(backups.settings, backups.verified())
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    verb = "would delete" if dry_run else "deleted"
    console.print(f"{verb} {len(report.deleted)}, kept {len(report.kept)}", highlight=False)
    for backup_id in report.deleted:
        console.print(f"  - {backup_id}", highlight=False)


@app.command("schedule")
def schedule(
    fmt: str = typer.Option("both", "--format", help="crontab | kubernetes | both"),
    env: str | None = ENV, store: str | None = STORE,
    image: str = typer.Option("zkredit:0.1.0", "--image", help="Image of the CronJobs."),
    workdir: str | None = typer.Option(None, "--workdir", help="crontab: cd here first."),
    secret: str = typer.Option("zkredit-app", "--secret", help="CronJobs: the Secret with "
                               "BACKUP_KEY/ENCRYPTION_KEY and DATABASE_URL."),
) -> None:
    """Print the seed's backup schedule as a crontab and as Kubernetes CronJobs.

    database daily 02:00, circuits Sundays 01:00, contracts monthly, logs daily 00:00,
    metrics every 6 hours; each run creates (and verifies) then prunes. The Helm chart
    renders the same CronJobs with backup.enabled=true.

    Examples:

      zkredit backup schedule --format crontab --env production | crontab -

      zkredit backup schedule --format kubernetes --image reg/zkredit:0.1.0 | kubectl apply -f -
    """
    from zkredit.ops.backup.schedule import cronjobs, crontab, schedules
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env=env)
    if fmt not in ("crontab", "kubernetes", "both"):
        from zkredit.errors import InputError

        raise InputError(f"--format {fmt!r}: choose crontab, kubernetes or both")
    if fmt == "both":
        err_console.print("# retention: " + "; ".join(
            f"{s.type} {s.keep_days} d (keep >= {s.keep_min})"
            for s in schedules(settings).values()), highlight=False)
    if fmt in ("crontab", "both"):
        typer.echo(crontab(settings, workdir=workdir, store=store), nl=False)
    if fmt == "both":
        typer.echo("---")
    if fmt in ("kubernetes", "both"):
        typer.echo(cronjobs(settings, image=image, store=store, secret=secret), nl=False)
