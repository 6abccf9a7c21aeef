"""The worker's private data, sealed in the worker database (the only place it exists)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from zkredit.agents.worker.models import IdentityRow, VaultItemRow
from zkredit.agents.worker.vault import Keyring
from zkredit.errors import InputError, UntrustedIssuerError
from zkredit.store.db import Database
from zkredit.zk.credentials import CredentialType, SignedCredential, identity_commitment
from zkredit.zk.field import SNARK_SCALAR_FIELD
from zkredit.zk.merkle import MerkleProof


class UnknownIdentity(InputError):
    """Raised when an identity id does not exist in this worker's vault."""

    http_status = 404


@dataclass(frozen=True)
class Identity:
    """A worker identity as the worker agent holds it (secret included: never send it)."""

    id: str
    label: str
    commitment: int
    wallet: LocalAccount = field(repr=False)
    secret: int = field(repr=False)
    """Never in a repr, a log line or a traceback's locals."""


class Vault:
    """Sealed identities, credentials and KYC memberships."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    def create_identity(self, label: str, *, session: Session | None = None) -> Identity:
        """A new identity; with ``session`` it is written in the caller's unit of work."""
        identity_id = uuid.uuid4().hex
        secret = secrets.randbelow(SNARK_SCALAR_FIELD - 1) + 1
        wallet = Account.create()
        commitment = int(identity_commitment(secret))
        ctx = f"identity:{identity_id}"
        with self._unit(session) as s:
            s.add(IdentityRow(
                id=identity_id, label=label, commitment=str(commitment), wallet=wallet.address,
                sealed_secret=self.keyring.seal(str(secret).encode(), ctx + ":secret"),
                sealed_wallet_key=self.keyring.seal(bytes(wallet.key), ctx + ":wallet"),
            ))
        return Identity(identity_id, label, commitment, wallet, secret)

    @contextmanager
    def _unit(self, session: Session | None) -> Iterator[Session]:
        """The caller's unit of work, or a new one of our own."""
        if session is not None:
            yield session
            return
        with self.db.session() as s:
            yield s

    def identity(self, identity_id: str) -> Identity:
        with self.db.session() as s:
            row = s.get(IdentityRow, identity_id)
            if row is None:
                raise UnknownIdentity(f"no identity {identity_id!r} in this vault")
            ctx = f"identity:{identity_id}"
            secret = int(self.keyring.open(row.sealed_secret, ctx + ":secret").decode())
            key = self.keyring.open(row.sealed_wallet_key, ctx + ":wallet")
            return Identity(row.id, row.label, int(row.commitment), Account.from_key(key), secret)

    def put(self, identity_id: str, kind: str, value: dict[str, Any], *,
            session: Session | None = None) -> str:
        item_id = uuid.uuid4().hex
        blob = self.keyring.seal(json.dumps(value).encode(), f"vault:{identity_id}:{kind}")
        with self._unit(session) as s:
            s.add(VaultItemRow(id=item_id, identity_id=identity_id, kind=kind, sealed=blob))
        return item_id

    def latest(self, identity_id: str, kind: str) -> dict[str, Any] | None:
        with self.db.session() as s:
            row = s.scalars(
                select(VaultItemRow)
                .where(VaultItemRow.identity_id == identity_id, VaultItemRow.kind == kind)
                .order_by(VaultItemRow.created_at.desc())
            ).first()
            if row is None:
                return None
            data: dict[str, Any] = json.loads(
                self.keyring.open(row.sealed, f"vault:{identity_id}:{kind}")
            )
            return data

    def import_credential(
        self, identity_id: str, signed: SignedCredential, trusted: bool | None = None, *,
        session: Session | None = None,
    ) -> str:
        """Store a credential after checking its signature, subject and (if known) issuer."""
        ident = self.identity(identity_id)
        signed.require_valid()
        if int(signed.credential.subject) != ident.commitment:
            raise InputError("this credential was issued to another identity commitment")
        if trusted is False:
            raise UntrustedIssuerError(
                f"the {signed.type.label} credential's issuer key is not registered as trusted"
            )
        return self.put(identity_id, f"credential:{signed.type.label}", signed.to_dict(),
                        session=session)

    def credential(self, identity_id: str, ctype: CredentialType) -> SignedCredential | None:
        data = self.latest(identity_id, f"credential:{ctype.label}")
        return SignedCredential.from_dict(data) if data else None

    def store_membership(self, identity_id: str, proof: MerkleProof) -> str:
        return self.put(identity_id, "kyc_membership", {
            "leaf": str(proof.leaf), "index": proof.index, "root": str(proof.root),
            "path_elements": [str(x) for x in proof.path_elements],
            "path_indices": list(proof.path_indices),
        })

    def membership(self, identity_id: str) -> MerkleProof | None:
        from zkredit.zk.field import FieldElement

        data = self.latest(identity_id, "kyc_membership")
        if data is None:
            return None
        return MerkleProof(
            leaf=FieldElement(int(data["leaf"])), index=int(data["index"]),
            path_elements=tuple(FieldElement(int(x)) for x in data["path_elements"]),
            path_indices=tuple(int(x) for x in data["path_indices"]),
            root=FieldElement(int(data["root"])),
        )
