"""Backups in S3, against a real S3-protocol server on loopback (moto's server mode)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from zkredit.chain.node import free_port
from zkredit.ops.backup.errors import BackupIntegrityError, BackupNotFound
from zkredit.ops.backup.service import Backups, backup_key
from zkredit.ops.backup.stores import S3Store, open_store
from zkredit.settings import load_settings


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        require(False, "moto[server] is not installed (pip install -e '.[dev]')")
        raise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def store(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Store:
    import boto3

    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(var, value)
    client: Any = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="zkredit-backups")
    opened = open_store("s3://zkredit-backups/prod", endpoint_url=s3_endpoint)
    assert isinstance(opened, S3Store)
    return opened


def test_create_list_verify_restore_prune_in_s3(store: S3Store, tmp_path: Path) -> None:
    settings = load_settings(check=False, env="development",
                             app={"data_dir": tmp_path / "data",
                                  "deployments_dir": tmp_path / "deployments"})
    (tmp_path / "deployments").mkdir()
    (tmp_path / "deployments" / "1337.json").write_text('{"chainId": 1337}')
    backups = Backups(settings, store, backup_key(settings))
    m = backups.create("contracts")
    names = store.names()
    assert {f"{m.id}.zkb", f"{m.id}.manifest.json", f"{m.id}.verified.json"} <= set(names)
    [entry] = backups.entries()
    assert entry.manifest.id == m.id and entry.verified_ok
    report = backups.restore(m.id, target=tmp_path / "restored")
    assert (tmp_path / "restored" / "deployments" / "1337.json").read_text() == \
        '{"chainId": 1337}'
    assert report.restored["files"] >= 1

    data = bytearray(store.get(f"{m.id}.zkb"))
    data[10] ^= 0xFF
    store.put(f"{m.id}.zkb", bytes(data))
    with pytest.raises(BackupIntegrityError, match="checksum mismatch"):
        backups.verify(m.id)
    with pytest.raises(BackupNotFound, match="no backup 'contracts-nope'"):
        backups.verify("contracts-nope")
    assert backups.prune("contracts").deleted == []  # the only one is young
