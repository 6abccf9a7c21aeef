"""``zkredit_backup_last_success_timestamp_seconds{type}``: when the last verified backup
of each type was made, as the ``BackupAge`` alert reads it.

The CLI is a short-lived process that Prometheus cannot scrape, so the gauge is published
two ways, both derived from the store's own listing (what is really there):

- a node_exporter textfile-collector file (``ZKREDIT_BACKUP_TEXTFILE``, default
  ``<data_dir>/backups/zkredit_backup.prom``);
- a Pushgateway push under ``job="zkredit-backup"`` when ``PROMETHEUS_PUSHGATEWAY_URL``
  is set (the job label the alert's tests use).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from zkredit.ops.backup.manifest import Manifest
from zkredit.settings import Settings

JOB = "zkredit-backup"


def textfile_path(settings: Settings) -> Path:
    configured = os.environ.get("ZKREDIT_BACKUP_TEXTFILE")
    return Path(configured) if configured else settings.app.data_dir / "backups" / \
        "zkredit_backup.prom"


def registry_for(verified: Iterable[Manifest]) -> CollectorRegistry:
    registry = CollectorRegistry()
    last = Gauge("zkredit_backup_last_success_timestamp_seconds",
                 "When the newest verified backup of each type was made (Unix time).",
                 ["type"], registry=registry)
    size = Gauge("zkredit_backup_last_size_bytes",
                 "Stored (encrypted) size of the newest verified backup of each type.",
                 ["type"], registry=registry)
    newest: dict[str, Manifest] = {}
    for m in verified:
        if m.type not in newest or m.created > newest[m.type].created:
            newest[m.type] = m
    for kind, m in newest.items():
        last.labels(type=kind).set(m.created.timestamp())
        size.labels(type=kind).set(m.sizes.get("ciphertext", 0))
    return registry


def publish(settings: Settings, verified: Iterable[Manifest]) -> list[str]:
    """Write the textfile (and push, when configured); returns where it went."""
    registry = registry_for(verified)
    path = textfile_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    out = [str(path)]
    gateway = os.environ.get("PROMETHEUS_PUSHGATEWAY_URL")
    if gateway:
        push_to_gateway(gateway, job=JOB, registry=registry)
        out.append(gateway)
    return out
