"""Where backups are kept: a local directory (the default) or an S3 bucket.

Each backup is two objects, ``<id>.manifest.json`` and ``<id>.zkb`` (the ciphertext),
plus ``<id>.verified.json`` once it has been verified.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from zkredit.errors import ToolMissingError
from zkredit.ops.backup.errors import BackupError, BackupNotFound

MANIFEST_SUFFIX = ".manifest.json"
DATA_SUFFIX = ".zkb"
VERIFIED_SUFFIX = ".verified.json"


class BackupStore(Protocol):
    """The seam between backups and where their bytes live."""

    where: str

    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None: ...

    def names(self) -> list[str]: ...


class LocalStore:
    """A directory (created 0700: backups are encrypted, their listing need not be public)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def put(self, name: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.root / f".{name}.tmp"
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        tmp.replace(self.root / name)

    def get(self, name: str) -> bytes:
        try:
            return (self.root / name).read_bytes()
        except FileNotFoundError:
            raise BackupNotFound(f"{self.root / name} does not exist",
                                 hint="`zkredit backup list` shows the backups here.") from None

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_file()
                      and not p.name.startswith("."))


class S3Store:
    """``s3://bucket/prefix`` through boto3 (credentials and AWS_ENDPOINT_URL as boto3 reads
    them; ``endpoint_url`` overrides, e.g. a MinIO or moto server)."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None,
                 client: Any = None) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.where = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        if client is None:
            try:
                import boto3  # type: ignore[import-untyped]
            except ImportError:
                raise ToolMissingError(
                    "S3 backups need boto3, which is not installed",
                    hint="pip install 'zkredit[s3]' (or boto3).") from None
            client = boto3.client("s3", endpoint_url=endpoint_url)
        self._s3 = client

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, name: str, data: bytes) -> None:
        self._call("upload", name, lambda: self._s3.put_object(
            Bucket=self.bucket, Key=self._key(name), Body=data,
            ServerSideEncryption="AES256"))

    def get(self, name: str) -> bytes:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            body: bytes = self._s3.get_object(Bucket=self.bucket, Key=self._key(name))[
                "Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BackupNotFound(f"{self.where}/{name} does not exist",
                                     hint="`zkredit backup list` shows the backups here.") from None
            raise self._failed("download", name, exc) from exc
        return body

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._s3.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError:
            return False
        return True

    def delete(self, name: str) -> None:
        self._call("delete", name, lambda: self._s3.delete_object(
            Bucket=self.bucket, Key=self._key(name)))

    def names(self) -> list[str]:
        names: list[str] = []
        start = f"{self.prefix}/" if self.prefix else ""
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in self._call("list", "", lambda: list(
                paginator.paginate(Bucket=self.bucket, Prefix=start))):
            names += [obj["Key"][len(start):] for obj in page.get("Contents", [])]
        return sorted(n for n in names if "/" not in n)

    def _call(self, what: str, name: str, fn: Any) -> Any:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
        )

        try:
            return fn()
        except (ClientError, BotoCoreError) as exc:
            raise self._failed(what, name, exc) from exc

    def _failed(self, what: str, name: str, exc: Exception) -> BackupError:
        return BackupError(f"S3 {what} of {self.where}/{name} failed: {exc}",
                           hint="Check the bucket, the credentials and AWS_ENDPOINT_URL.")


def open_store(location: str | Path, *, endpoint_url: str | None = None) -> BackupStore:
    """A store from ``--store``: ``s3://bucket/prefix``, else a directory path."""
    text = str(location)
    if text.startswith("s3://"):
        bucket, _, prefix = text[len("s3://"):].partition("/")
        if not bucket:
            raise BackupError(f"--store {text}: no bucket", hint="Use s3://BUCKET/PREFIX.")
        return S3Store(bucket, prefix, endpoint_url)
    return LocalStore(Path(text))
