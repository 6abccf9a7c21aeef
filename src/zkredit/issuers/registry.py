"""Issuers and the KYC provider, with their state on disk under ``<data_dir>/issuers/``.

An issuer signs credentials of one type with its BabyJubJub key; the KYC provider
also keeps the Poseidon Merkle tree of identity commitments it has checked and
publishes its root on chain (through a :class:`RootPublisher`). State is one JSON
file written atomically (write to a temp file, fsync, rename), so a crash never
leaves a half-written tree.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from zkredit.errors import InputError, MerkleError
from zkredit.zk.babyjub import Point
from zkredit.zk.credentials import Credential, CredentialType, SignedCredential, issue
from zkredit.zk.eddsa import IssuerKey
from zkredit.zk.merkle import MerkleProof, MerkleTree

ROLES: dict[str, CredentialType] = {
    "employer": CredentialType.INCOME,
    "bureau": CredentialType.CREDIT_HISTORY,
    "custodian": CredentialType.COLLATERAL,
    "kyc": CredentialType.KYC,
}


LABEL_PREFIX = "zkredit demo: issuer "


def label_derived_key(role: str) -> IssuerKey:
    """The issuer key derived from a public label: anyone can compute it, so only the
    development environment may trust it (the demo's issuers use these)."""
    import hashlib

    return IssuerKey(hashlib.sha256(f"{LABEL_PREFIX}{role}".encode()).digest())


def label_derived_public_keys() -> set[tuple[int, int]]:
    """The public keys of every role's label-derived key (refused outside development)."""
    return {(label_derived_key(r).public.x, label_derived_key(r).public.y) for r in ROLES}


class RootPublisher(Protocol):
    """Publishes a KYC Merkle root on chain; returns the transaction hash."""

    def publish_root(self, root: int) -> str: ...


@dataclass
class Issuer:
    """One issuing organisation: a name, a role (credential type) and a signing key."""

    name: str
    role: str
    key: IssuerKey

    @property
    def credential_type(self) -> CredentialType:
        return ROLES[self.role]

    @property
    def public(self) -> Point:
        return self.key.public

    def sign(self, subject: int, attributes: Mapping[str, Any]) -> SignedCredential:
        credential = Credential.build(self.credential_type, subject, attributes)
        return issue(credential, self.key, self.name)


@dataclass
class KycProvider:
    """The KYC provider's tree of checked identity commitments."""

    issuer: Issuer
    tree: MerkleTree = field(default_factory=lambda: MerkleTree(depth=20))
    published: list[dict[str, Any]] = field(default_factory=list)

    def enroll(self, commitment: int) -> int:
        """Add a commitment whose documents were checked; idempotent per commitment."""
        try:
            return self.tree.index_of(commitment)
        except MerkleError:
            return self.tree.insert(commitment)

    def membership(self, commitment: int) -> MerkleProof:
        return self.tree.proof(self.tree.index_of(commitment))

    def publish(self, publisher: RootPublisher) -> str:
        root = int(self.tree.root)
        if self.published and self.published[-1]["root"] == str(root):
            return str(self.published[-1]["tx"])
        tx = publisher.publish_root(root)
        self.published.append({"root": str(root), "tx": tx, "size": len(self.tree)})
        return tx


class IssuerRegistry:
    """All issuers of a deployment, persisted in ``state.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.issuers: dict[str, Issuer] = {}
        self.kyc: KycProvider | None = None

    @property
    def state_path(self) -> Path:
        return self.directory / "state.json"

    @classmethod
    def open(cls, directory: Path, *, seed: Mapping[str, Issuer] | None = None
             ) -> IssuerRegistry:
        """Load the state, or create one issuer per role: ``seed``'s where given, else
        with a fresh random key."""
        reg = cls(directory)
        if reg.state_path.is_file():
            reg._load()
            return reg
        for role in ROLES:
            given = (seed or {}).get(role)
            reg.issuers[role] = given or Issuer(role, role, IssuerKey.generate())
        reg.kyc = KycProvider(reg.issuers["kyc"])
        reg.save()
        return reg

    def get(self, role: str) -> Issuer:
        try:
            return self.issuers[role]
        except KeyError:
            raise InputError(
                f"unknown issuer role {role!r}; choose one of {', '.join(ROLES)}"
            ) from None

    def kyc_provider(self) -> KycProvider:
        assert self.kyc is not None
        return self.kyc

    def _load(self) -> None:
        data = json.loads(self.state_path.read_text())
        for role, entry in data["issuers"].items():
            self.issuers[role] = Issuer(entry["name"], role, IssuerKey.from_hex(entry["key"]))
        kyc = data.get("kyc", {})
        tree = MerkleTree.from_leaves([int(x) for x in kyc.get("leaves", [])], depth=20)
        self.kyc = KycProvider(self.issuers["kyc"], tree, list(kyc.get("published", [])))

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        kyc = self.kyc_provider()
        data = {
            "issuers": {
                role: {"name": i.name, "key": i.key.to_hex(),
                       "public": {"x": str(i.public.x), "y": str(i.public.y)}}
                for role, i in self.issuers.items()
            },
            "kyc": {
                "leaves": [str(kyc.tree.leaf(i)) for i in range(len(kyc.tree))],
                "published": kyc.published,
            },
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".state-")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.state_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
