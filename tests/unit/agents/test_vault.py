"""The worker vault: AES-256-GCM sealing, owner binding and key rotation."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from zkredit.agents.worker.vault import Keyring, VaultError, parse_key
from zkredit.agents.worker.vaultstore import Vault
from zkredit.demo.privacy import leaked
from zkredit.errors import ConfigurationError
from zkredit.scenarios import demo_issuer
from zkredit.store.db import Database
from zkredit.zk.credentials import Credential, CredentialType, issue

K1, K2 = secrets.token_hex(32), secrets.token_hex(32)


def test_seal_open_and_context_binding() -> None:
    ring = Keyring.from_settings(K1, development=False)
    blob = ring.seal(b"745", "vault:a:credit")
    assert b"745" not in blob
    assert ring.open(blob, "vault:a:credit") == b"745"
    with pytest.raises(VaultError, match="wrong owner"):
        ring.open(blob, "vault:b:credit")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(VaultError, match="tampered"):
        ring.open(tampered, "vault:a:credit")


def test_rotation_keeps_old_blobs_readable_and_reseals() -> None:
    old = Keyring.from_settings(K1, development=False)
    blob = old.seal(b"secret", "ctx")
    rotated = Keyring.from_settings(K2, K1, development=False)
    assert rotated.needs_reseal(blob)
    fresh = rotated.reseal(blob, "ctx")
    assert not rotated.needs_reseal(fresh)
    assert Keyring.from_settings(K2, development=False).open(fresh, "ctx") == b"secret"
    with pytest.raises(VaultError, match="not configured"):
        Keyring.from_settings(K2, development=False).open(blob, "ctx")


def test_passphrases_only_in_development() -> None:
    with pytest.raises(ConfigurationError, match="64 hex"):
        parse_key("correct horse battery staple", allow_passphrase=False)
    assert len(parse_key("correct horse battery staple", allow_passphrase=True)) == 32


def test_vault_stores_nothing_in_clear(tmp_path: Path) -> None:
    import zkredit.agents.worker.models  # noqa: F401  (registers the worker tables)

    db = Database.open("worker", None, tmp_path)
    db.migrate()
    vault = Vault(db, Keyring.from_settings(K1, development=False))
    ident = vault.create_identity("Samuel")
    # Distinctive values, searched as whole tokens: a round "2500" turns up inside the
    # public commitment, an id or a timestamp about once in a hundred runs.
    raw = {"score": 743, "historyMonths": 47, "defaults": 0, "latePayments": 1,
           "debtRatioBps": 2467}
    cred = issue(Credential.build(CredentialType.CREDIT_HISTORY, ident.commitment, raw),
                 demo_issuer("bureau"))
    vault.import_credential(ident.id, cred)
    assert vault.credential(ident.id, CredentialType.CREDIT_HISTORY) == cred
    assert vault.identity(ident.id).secret == ident.secret
    needles = [str(ident.secret), ident.wallet.key.hex(), '"debtRatioBps": 2467',
               '"score": 743', "2467"]
    assert leaked(db.dump_tables(), needles) == []
    # the check itself sees what a plaintext row would show
    vault_in_clear = {"rows": [{"json": json.dumps(raw)}, {"secret": str(ident.secret)}]}
    assert leaked(vault_in_clear, needles) == [needles[0], *needles[2:]]
