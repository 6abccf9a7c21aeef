"""Backups on a local store: round trip, the tamper table (each corruption refused with the
check that caught it), restore refusals, retention, the metric and the schedule."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from zkredit.ops.backup.crypto import BackupKey, seal, unseal
from zkredit.ops.backup.errors import BackupIntegrityError, BackupKeyMissing, RestoreRefused
from zkredit.ops.backup.manifest import Manifest
from zkredit.ops.backup.metrics import publish, textfile_path
from zkredit.ops.backup.schedule import cronjobs, crontab, schedules
from zkredit.ops.backup.service import Backups, backup_key
from zkredit.ops.backup.stores import LocalStore
from zkredit.settings import Settings, load_settings
from zkredit.store.db import Database

SECRET = "a1" * 32


def settings_for(tmp_path: Path, env: str = "development", **security: object) -> Settings:
    return load_settings(check=False, env=env,
                         app={"data_dir": tmp_path / "data",
                              "deployments_dir": tmp_path / "deployments"},
                         security={"backup_key": SECRET, **security})


@pytest.fixture
def backups(tmp_path: Path) -> Backups:
    settings = settings_for(tmp_path)
    logs = settings.app.data_dir / "worker" / "logs"
    logs.mkdir(parents=True)
    (logs / "worker.jsonl").write_text('{"msg": "started"}\n' * 50)
    (settings.app.data_dir / "credit" / "logs").mkdir(parents=True)
    (settings.app.data_dir / "credit" / "logs" / "credit.jsonl").write_text("{}\n")
    return Backups(settings, LocalStore(tmp_path / "store"), backup_key(settings))


def test_round_trip_with_manifest_fields(backups: Backups, tmp_path: Path) -> None:
    m = backups.create("logs")
    assert m.type == "logs" and m.id.startswith("logs-") and m.environment == "development"
    assert set(m.sizes) == {"plaintext", "compressed", "ciphertext"}
    assert set(m.sha256) == {"plaintext", "ciphertext"}
    assert m.encryption["cipher"] == "AES-256-GCM" and m.encryption["kdf"] == "HKDF-SHA256"
    assert m.encryption["key_source"] == "BACKUP_KEY"
    assert [c["name"] for c in m.contents] == ["logs/credit/logs/credit.jsonl",
                                               "logs/worker/logs/worker.jsonl"]
    [entry] = backups.entries()
    assert entry.manifest.id == m.id and entry.verified_ok is True
    report = backups.restore(m.id)
    restored = backups.settings.app.data_dir / "restored" / m.id / "logs"
    assert (restored / "worker" / "logs" / "worker.jsonl").read_text().count("started") == 50
    assert report.restored == {"files": 2, "overwritten": 0}


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_manifest(path: Path, **fields: object) -> None:
    data = json.loads(path.read_text())
    data.update(fields)
    path.write_text(json.dumps(data))


TAMPERS = [
    ("ciphertext byte flipped",
     lambda store, i: _flip(store / f"{i}.zkb", 100),
     "checksum mismatch: the sha256 of"),
    ("ciphertext truncated",
     lambda store, i: (store / f"{i}.zkb").write_bytes((store / f"{i}.zkb").read_bytes()[:-16]),
     "the ciphertext was altered or truncated"),
    ("manifest created_at edited",
     lambda store, i: _edit_manifest(store / f"{i}.manifest.json",
                                     created_at="2020-01-01T00:00:00+00:00"),
     "the manifest was altered: its HMAC does not verify"),
    ("manifest ciphertext sha256 edited",
     lambda store, i: _edit_manifest(store / f"{i}.manifest.json",
                                     sha256={"plaintext": "0" * 64, "ciphertext": "0" * 64}),
     "the manifest was altered: its HMAC does not verify"),
    ("manifest not JSON",
     lambda store, i: (store / f"{i}.manifest.json").write_text("{nope"),
     "is not a ZKredit backup manifest"),
]


@pytest.mark.parametrize(("case", "tamper", "message"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_tampered_backup_is_refused_saying_which(backups: Backups, tmp_path: Path, case: str,
                                                 tamper: object, message: str) -> None:
    m = backups.create("logs")
    tamper(tmp_path / "store", m.id)  # type: ignore[operator]
    with pytest.raises(BackupIntegrityError) as verify_error:
        backups.verify(m.id)
    assert message in verify_error.value.message, verify_error.value.message
    target = tmp_path / "target"
    with pytest.raises(BackupIntegrityError) as restore_error:
        backups.restore(m.id, target=target)
    assert message in restore_error.value.message
    assert not target.exists(), "nothing may be written before every check passes"


def test_wrong_key_is_refused_as_wrong_key(backups: Backups, tmp_path: Path) -> None:
    m = backups.create("logs")
    other = settings_for(tmp_path, backup_key="b2" * 32)
    stranger = Backups(other, backups.store, backup_key(other))
    with pytest.raises(BackupIntegrityError) as error:
        stranger.verify(m.id)
    assert "was made under another key" in error.value.message
    assert "wrong key" in error.value.message and backups.key.key_id in error.value.message
    [entry] = stranger.entries()
    assert entry.verified_ok is False and "wrong key" in entry.detail


def test_a_failed_tag_is_named() -> None:
    key = BackupKey.from_secret(SECRET, "BACKUP_KEY")
    sealed = seal(key, b"plaintext" * 10, b"bound fields")
    assert unseal(key, sealed.ciphertext, sealed.nonce, b"bound fields") == b"plaintext" * 10
    with pytest.raises(BackupIntegrityError, match="authentication tag does not verify"):
        unseal(key, sealed.ciphertext, sealed.nonce, b"other bound fields")


def test_key_comes_from_backup_key_else_encryption_key(tmp_path: Path) -> None:
    dev = load_settings(check=False, env="development")
    assert backup_key(dev).source == "ENCRYPTION_KEY"
    prod = load_settings(check=False, env="production",
                         security={"encryption_key": "your-encryption-key-here"})
    with pytest.raises(BackupKeyMissing, match="ENCRYPTION_KEY is a placeholder"):
        backup_key(prod)
    assert repr(backup_key(settings_for(tmp_path))).startswith("BackupKey(key_id=")
    assert SECRET not in repr(backup_key(settings_for(tmp_path)))


def test_files_in_place_need_force_and_take_a_safety_backup(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    deployments = settings.app.deployments_dir
    deployments.mkdir(parents=True)
    (deployments / "1337.json").write_text('{"chainId": 1337}')
    backups = Backups(settings, LocalStore(tmp_path / "store"), backup_key(settings))
    m = backups.create("contracts")
    (deployments / "1337.json").write_text('{"chainId": 1337, "changed": true}')
    with pytest.raises(RestoreRefused, match=r"1 file\(s\) would be overwritten"):
        backups.restore(m.id)
    report = backups.restore(m.id, force=True)
    assert report.safety_backup and report.safety_backup.startswith("contracts-")
    assert json.loads((deployments / "1337.json").read_text()) == {"chainId": 1337}
    safety = backups.manifest(report.safety_backup)
    assert safety.kind == "safety"


def _migrated_parties(settings: Settings) -> None:
    for party in ("worker", "credit", "remittance", "receiver", "access"):
        db = Database.open(party, None, settings.app.data_dir)
        db.migrate()
        db.dispose()


def test_retention_keeps_the_newest_verified_and_prunes_the_old(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)  # development: backup_retention_days 1
    assert schedules(settings)["database"].keep_days == 1
    _migrated_parties(settings)
    backups = Backups(settings, LocalStore(tmp_path / "store"), backup_key(settings))
    ids = [backups.create("database").id for _ in range(3)]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    newest = backups.entries("database")[0].manifest.id
    assert set(backups.prune("database", now=later, dry_run=True).deleted) == set(ids) - {newest}
    assert len(backups.entries("database")) == 3  # a dry run deletes nothing
    report = backups.prune("database", now=later)
    assert len(report.deleted) == 2 and report.kept == [newest]
    assert [e.manifest.id for e in backups.entries()] == [newest]
    assert backups.prune("database").deleted == []


def test_the_metric_is_the_newest_verified_backup_per_type(backups: Backups) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    backups.create("logs")
    newest = backups.create("logs")
    publish(backups.settings, backups.verified())
    families = {f.name: f for f in text_string_to_metric_families(
        textfile_path(backups.settings).read_text())}
    [sample] = families["zkredit_backup_last_success_timestamp_seconds"].samples
    assert sample.labels == {"type": "logs"}
    assert sample.value == newest.created.timestamp()


def test_schedule_is_the_seeds(tmp_path: Path) -> None:
    settings = load_settings(check=False, env="production")
    table = schedules(settings)
    assert {k: s.cron for k, s in table.items()} == {
        "database": "0 2 * * *", "circuits": "0 1 * * 0", "contracts": "@monthly",
        "logs": "0 0 * * *", "metrics": "0 */6 * * *"}
    assert table["database"].keep_days == 30  # environments/production.yml
    lines = [ln for ln in crontab(settings).splitlines() if not ln.startswith(("#", "SHELL"))]
    assert len(lines) == 5 and lines[0].startswith("0 2 * * *")
    assert "backup create --type database --env production --kind scheduled" in lines[0]
    docs = list(yaml.safe_load_all(cronjobs(settings, store="s3://b/p")))
    assert [d["spec"]["schedule"] for d in docs] == [s.cron for s in table.values()]
    assert all(d["kind"] == "CronJob" for d in docs)
    assert "--store s3://b/p" in docs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"][0]["args"][0]


def test_manifest_loads_what_it_dumps(backups: Backups) -> None:
    m = backups.create("logs")
    again = Manifest.loads(m.dumps(), "x")
    assert again == m and again.canonical() == m.canonical()
