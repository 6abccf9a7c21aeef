"""Creating, listing, verifying, restoring and pruning backups.

A backup is made, stored, then read back from the store and verified before it counts:
only verified backups move ``zkredit_backup_last_success_timestamp_seconds``. Verification
checks, in this order, and says which failed: the key id (a backup made under another
key), the manifest's HMAC (an edited manifest), the ciphertext's sha256 (an altered or
truncated object), the AES-GCM tag, the plaintext's sha256 and sizes, and every archive
member's sha256.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit import __version__
from zkredit.bootstrap import AGENTS, agent_urls
from zkredit.ops.backup import archive, postgres, sources
from zkredit.ops.backup.crypto import BackupKey, mac_matches, manifest_mac, seal, sha256_hex, unseal
from zkredit.ops.backup.errors import (
    BackupError,
    BackupIntegrityError,
    BackupKeyMissing,
    BackupNotFound,
    RestoreRefused,
)
from zkredit.ops.backup.manifest import TYPES, Manifest
from zkredit.ops.backup.schedule import schedules
from zkredit.ops.backup.stores import (
    DATA_SUFFIX,
    MANIFEST_SUFFIX,
    VERIFIED_SUFFIX,
    BackupStore,
    LocalStore,
    open_store,
)
from zkredit.settings import PLACEHOLDER_SECRETS, Settings

Step = Callable[[str], None]
IN_PLACE = ("database", "circuits", "contracts")
"""Types restored where they came from; the others are extracted beside the data."""


def backup_key(settings: Settings) -> BackupKey:
    """HKDF keys from ``BACKUP_KEY``, else ``ENCRYPTION_KEY`` (a placeholder: development only)."""
    sec = settings.security
    if sec.backup_key is not None and sec.backup_key.get_secret_value():
        return BackupKey.from_secret(sec.backup_key.get_secret_value(), "BACKUP_KEY")
    if sec.encryption_key.lower() in PLACEHOLDER_SECRETS and not settings.is_development:
        raise BackupKeyMissing(
            f"no backup key: BACKUP_KEY is not set and ENCRYPTION_KEY is a placeholder in "
            f"{settings.app.env.value!r}",
            hint="Set BACKUP_KEY (openssl rand -hex 32) and keep a copy offline: without it "
            "no backup can be restored.")
    return BackupKey.from_secret(sec.encryption_key, "ENCRYPTION_KEY")


def default_store(settings: Settings, location: str | None = None,
                  endpoint_url: str | None = None) -> BackupStore:
    import os

    chosen = location or os.environ.get("ZKREDIT_BACKUP_STORE")
    if chosen:
        return open_store(chosen, endpoint_url=endpoint_url)
    return LocalStore(settings.app.data_dir / "backups")


@dataclass
class Entry:
    """One backup in the store, with its last verification (if any)."""

    manifest: Manifest
    verified_at: str | None = None
    verified_ok: bool | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        m = self.manifest
        return {"id": m.id, "type": m.type, "kind": m.kind, "created_at": m.created_at,
                "environment": m.environment, "sizes": m.sizes,
                "verified_at": self.verified_at, "verified": self.verified_ok,
                "detail": self.detail}


@dataclass
class RestoreReport:
    id: str
    type: str
    restored: dict[str, Any]
    safety_backup: str | None = None
    target: str = ""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "restored": self.restored,
                "safety_backup": self.safety_backup, "target": self.target,
                "notes": self.notes}


@dataclass
class PruneReport:
    deleted: list[str]
    kept: list[str]
    dry_run: bool

    def to_json(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "kept": self.kept, "dry_run": self.dry_run}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Backups:
    """Backups of one environment, in one store, under one key."""

    def __init__(self, settings: Settings, store: BackupStore, key: BackupKey, *,
                 schema_prefix: str | None = None, step: Step | None = None) -> None:
        self.settings, self.store, self.key = settings, store, key
        self.schema_prefix = schema_prefix
        self.step: Step = step or (lambda _message: None)

    # -- create ----------------------------------------------------------------------------

    def collect(self, kind: str) -> sources.Collected:
        if kind == "database":
            return sources.collect_database(self.settings, self.schema_prefix, self.step)
        if kind == "metrics":
            return sources.collect_metrics(self.settings, self.step)
        if kind in TYPES:
            return sources.collect_files(self.settings, kind, self.step)
        raise BackupError(f"unknown backup type {kind!r}; choose one of {', '.join(TYPES)}")

    def create(self, kind: str, *, label: str = "manual") -> Manifest:
        """Collect, pack, seal, store, then verify from the store; returns the manifest."""
        collected = self.collect(kind)
        created = _now()
        backup_id = f"{kind}-{created:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        self.step("packing and encrypting")
        plaintext = archive.pack(collected.members)
        manifest = Manifest(
            id=backup_id, type=kind, created_at=created.isoformat(timespec="seconds"),
            environment=self.settings.app.env.value, schema_version=collected.schema_version,
            zkredit_version=__version__, kind=label, source=collected.source,
            contents=[{"name": n, "size": len(d), "sha256": sha256_hex(d)}
                      for n, d in sorted(collected.members.items())])
        sealed = seal(self.key, plaintext, manifest.associated_data())
        manifest.sizes = {"plaintext": len(plaintext), "compressed": sealed.compressed_size,
                          "ciphertext": len(sealed.ciphertext)}
        manifest.sha256 = {"plaintext": sha256_hex(plaintext),
                           "ciphertext": sha256_hex(sealed.ciphertext)}
        manifest.encryption = {"cipher": "AES-256-GCM", "kdf": "HKDF-SHA256",
                               "key_id": self.key.key_id, "key_source": self.key.source,
                               "nonce": sealed.nonce.hex()}
        manifest.mac = manifest_mac(self.key, manifest.canonical())
        self.step(f"storing in {self.store.where}")
        self.store.put(backup_id + DATA_SUFFIX, sealed.ciphertext)
        self.store.put(backup_id + MANIFEST_SUFFIX, manifest.dumps())
        self.step("verifying the stored copy")
        self.verify(backup_id)
        return manifest

    # -- read and verify ---------------------------------------------------------------------

    def manifest(self, backup_id: str) -> Manifest:
        name = backup_id + MANIFEST_SUFFIX
        if not self.store.exists(name):
            known = [e.manifest.id for e in self.entries()]
            close = [k for k in known if backup_id in k][:3]
            raise BackupNotFound(
                f"no backup {backup_id!r} in {self.store.where}",
                hint=(f"Did you mean {', '.join(close)}?" if close else
                      "`zkredit backup list` shows the backups in this store."))
        return Manifest.loads(self.store.get(name), name)

    def entries(self, kind: str | None = None) -> list[Entry]:
        """Every backup in the store, newest first."""
        entries = []
        names = set(self.store.names())
        for name in sorted(n for n in names if n.endswith(MANIFEST_SUFFIX)):
            backup_id = name[: -len(MANIFEST_SUFFIX)]
            try:
                m = Manifest.loads(self.store.get(name), name)
            except BackupIntegrityError:
                continue
            if kind and m.type != kind:
                continue
            entry = Entry(m)
            if backup_id + VERIFIED_SUFFIX in names:
                state = json.loads(self.store.get(backup_id + VERIFIED_SUFFIX))
                entry.verified_at, entry.verified_ok = state.get("at"), state.get("ok")
                entry.detail = state.get("detail", "")
            entries.append(entry)
        return sorted(entries, key=lambda e: e.manifest.created_at, reverse=True)

    def open(self, backup_id: str) -> tuple[Manifest, dict[str, bytes]]:
        """Verify the backup in full and return its members."""
        manifest = self.manifest(backup_id)
        try:
            members = self._open(manifest)
        except BackupIntegrityError as exc:
            self._record(backup_id, ok=False, detail=exc.message)
            raise
        return manifest, members

    def verify(self, backup_id: str) -> Manifest:
        """Every check of :meth:`open`; records the outcome beside the backup."""
        manifest, members = self.open(backup_id)
        self._record(backup_id, ok=True, detail=f"{len(members)} member(s) intact")
        return manifest

    def _open(self, m: Manifest) -> dict[str, bytes]:
        where = f"backup {m.id}"
        if m.key_id != self.key.key_id:
            raise BackupIntegrityError(
                f"{where} was made under another key (key id {m.key_id}); the configured "
                f"key ({self.key.source}) has key id {self.key.key_id}: wrong key",
                hint="Set BACKUP_KEY (or ENCRYPTION_KEY) to the secret this backup was made "
                "with.")
        if not mac_matches(self.key, m.canonical(), m.mac):
            raise BackupIntegrityError(
                f"{where}: the manifest was altered: its HMAC does not verify under the "
                f"configured key ({self.key.source})",
                hint="Do not trust any field of this manifest; use another backup.")
        ciphertext = self.store.get(m.id + DATA_SUFFIX)
        if sha256_hex(ciphertext) != m.sha256.get("ciphertext"):
            raise BackupIntegrityError(
                f"{where}: checksum mismatch: the sha256 of {m.id}{DATA_SUFFIX} "
                f"({len(ciphertext)} bytes) is not the manifest's: the ciphertext was altered "
                "or truncated", hint="Use another backup (`zkredit backup list`).")
        plaintext = unseal(self.key, ciphertext, bytes.fromhex(m.encryption["nonce"]),
                           m.associated_data())
        if sha256_hex(plaintext) != m.sha256.get("plaintext") or \
                len(plaintext) != m.sizes.get("plaintext"):
            raise BackupIntegrityError(f"{where}: the decrypted archive's sha256 or size is "
                                       "not the manifest's")
        members = archive.unpack(plaintext)
        listed = {c["name"]: c for c in m.contents}
        if set(listed) != set(members):
            raise BackupIntegrityError(f"{where}: the archive's members are not the manifest's")
        for name, data in members.items():
            if sha256_hex(data) != listed[name]["sha256"]:
                raise BackupIntegrityError(f"{where}: member {name} fails its sha256")
        return members

    def _record(self, backup_id: str, *, ok: bool, detail: str) -> None:
        state = {"at": _now().isoformat(timespec="seconds"), "ok": ok, "detail": detail,
                 "key_id": self.key.key_id}
        self.store.put(backup_id + VERIFIED_SUFFIX, json.dumps(state).encode())

    def verified(self) -> list[Manifest]:
        return [e.manifest for e in self.entries() if e.verified_ok]

    # -- restore ---------------------------------------------------------------------------------

    def restore(self, backup_id: str, *, force: bool = False,
                target: Path | None = None) -> RestoreReport:
        """Verify, then restore. Live data is only overwritten with ``force``, after a safety
        backup of it; a failed check refuses before anything is written."""
        self.step(f"verifying {backup_id}")
        manifest, members = self.open(backup_id)
        if manifest.type == "database":
            if target is not None:
                raise RestoreRefused(
                    "a database backup restores into the configured databases, not a directory",
                    hint="Point DATABASE_URL / ZKREDIT_DATA_DIR at a fresh database instead.")
            return self._restore_database(manifest, members, force)
        return self._restore_files(manifest, members, force, target)

    def _restore_database(self, m: Manifest, members: dict[str, bytes],
                          force: bool) -> RestoreReport:
        meta = json.loads(members[sources.META])
        dialect = "postgresql" if self.settings.database.url else "sqlite"
        if meta["dialect"] != dialect:
            raise RestoreRefused(
                f"backup {m.id} holds {meta['dialect']} databases, and the configured database "
                f"is {dialect}", hint="Restore with the DATABASE_URL the backup was made with.")
        self._refuse_running([p for p in meta["parties"] if p in AGENTS])
        live: dict[str, dict[str, int]] = {}
        for party, info in meta["parties"].items():
            db = sources.open_party(self.settings, party, self.schema_prefix, create=True)
            try:
                if db.schema != info["schema"]:
                    raise RestoreRefused(
                        f"backup {m.id} holds party {party!r} in schema {info['schema']!r}, "
                        f"and the configured schema is {db.schema!r}",
                        hint="Use the --schema-prefix the backup was made with.")
                counts = sources.row_counts(db)
            finally:
                db.dispose()
            if sources.has_data(counts):
                live[party] = counts
        safety = None
        if live:
            if not force:
                rows = {p: sum(v for t, v in c.items() if t != "alembic_version")
                        for p, c in live.items()}
                listed = ", ".join(f"{p} ({n} rows)" for p, n in rows.items())
                raise RestoreRefused(
                    f"the target databases hold data: {listed}",
                    hint="Restore into a fresh database, or pass --force: a safety backup of "
                    "the current data is taken first.")
            self.step("safety backup of the current databases")
            safety = self.create("database", label="safety").id
        restored: dict[str, Any] = {}
        for party, info in meta["parties"].items():
            self.step(f"restoring {party}")
            db = sources.open_party(self.settings, party, self.schema_prefix, create=True)
            try:
                if dialect == "sqlite":
                    sources.sqlite_restore(members[f"{party}.sqlite"], Path(db.where))
                else:
                    assert self.settings.database.url and db.schema
                    db.dispose()
                    postgres.restore_schema(self.settings.database.url, db.schema,
                                            members[f"{party}.pgdump"], db.engine)
                db.dispose()
                counts = sources.row_counts(db)
                if counts != info["tables"]:
                    raise BackupError(
                        f"party {party}: restored row counts {counts} differ from the "
                        f"backup's {info['tables']}")
                restored[party] = {"where": db.where, "tables": len(counts),
                                   "rows": sum(counts.values()),
                                   "heads": list(db.current_heads())}
            finally:
                db.dispose()
        notes = ["the agents migrate to the code's head revision when they start"]
        return RestoreReport(m.id, m.type, restored, safety, "configured databases", notes)

    def _refuse_running(self, parties: list[str]) -> None:
        import httpx

        urls = agent_urls(self.settings)
        running = []
        for party in parties:
            try:
                r = httpx.get(f"{urls[party]}/health/live", timeout=1.0)
                if r.json().get("agent") == party:
                    running.append(f"{party} ({urls[party]})")
            except (httpx.HTTPError, ValueError, KeyError, AttributeError):
                continue
        if running:
            raise RestoreRefused(
                f"the agents whose databases this restores are running: {', '.join(running)}",
                hint="Stop them first (their writes would mix with the restored data).")

    def _restore_files(self, m: Manifest, members: dict[str, bytes], force: bool,
                       target: Path | None) -> RestoreReport:
        if target is None and m.type in IN_PLACE:
            roots = sources.file_roots(self.settings, m.type)
        else:
            base = target or self.settings.app.data_dir / "restored" / m.id
            roots = {name.split("/", 1)[0]: base / name.split("/", 1)[0] for name in members}
        plan: dict[Path, bytes] = {}
        for name, data in members.items():
            top, _, rel = name.partition("/")
            if top not in roots:
                raise BackupIntegrityError(f"backup {m.id}: member {name} has no destination")
            plan[roots[top] / rel] = data
        changed = [p for p, d in plan.items() if p.is_file() and p.read_bytes() != d]
        safety = None
        if changed:
            if not force:
                shown = ", ".join(str(p) for p in changed[:3])
                raise RestoreRefused(
                    f"{len(changed)} file(s) would be overwritten with other content: {shown}"
                    + (" ..." if len(changed) > 3 else ""),
                    hint="Pass --target DIR to restore beside them, or --force (a safety "
                    "backup of the current files is taken first).")
            if m.type in IN_PLACE and target is None:
                self.step(f"safety backup of the current {m.type}")
                safety = self.create(m.type, label="safety").id
        for path, data in plan.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        notes = []
        if m.type == "circuits" and target is None:
            from zkredit.bootstrap import build_catalog

            problems = build_catalog(self.settings).verify()
            notes.append("circuit manifest verifies" if not problems
                         else f"circuit manifest: {len(problems)} problem(s): {problems[0]}")
        where = ", ".join(str(r) for r in roots.values())
        return RestoreReport(m.id, m.type, {"files": len(plan), "overwritten": len(changed)},
                             safety, where, notes)

    # -- retention -------------------------------------------------------------------------------

    def prune(self, kind: str | None = None, *, dry_run: bool = False,
              now: dt.datetime | None = None) -> PruneReport:
        """Delete what the retention table no longer keeps (never the newest verified ones)."""
        table = schedules(self.settings)
        moment = now or _now()
        deleted, kept = [], []
        for type_ in ([kind] if kind else list(TYPES)):
            rule = table[type_]
            entries = self.entries(type_)  # newest first
            good = [e for e in entries if e.verified_ok][: rule.keep_min]
            protected = {e.manifest.id for e in good}
            for e in entries:
                age_days = (moment - e.manifest.created).total_seconds() / 86_400
                if e.manifest.id in protected or age_days < rule.keep_days:
                    kept.append(e.manifest.id)
                    continue
                deleted.append(e.manifest.id)
                if not dry_run:
                    for suffix in (DATA_SUFFIX, VERIFIED_SUFFIX, MANIFEST_SUFFIX):
                        self.store.delete(e.manifest.id + suffix)
        return PruneReport(deleted, kept, dry_run)
