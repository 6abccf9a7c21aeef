"""Agent keystores: encrypted at rest, addresses without the password, refusals by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zkredit.chain.wallets import agent_dev_wallet
from zkredit.errors import InputError
from zkredit.keystore import Keystore, KeystoreError, read_password

PASSWORD = "correct horse battery staple"


def test_create_unlock_and_list(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    address = store.create("credit", PASSWORD)
    path = tmp_path / "credit.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.addresses() == {"credit": address}
    account = store.unlock("credit", PASSWORD)
    assert account.address == address
    # The file holds ciphertext only: the private key's hex is nowhere in it.
    assert bytes(account.key).hex() not in path.read_text()


def test_wrong_password_is_refused_naming_the_file(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    store.create("worker", PASSWORD)
    with pytest.raises(KeystoreError, match=r"cannot decrypt .*worker\.json"):
        store.unlock("worker", "not the password at all")


def test_existing_keystore_is_not_overwritten(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    first = store.create("receiver", PASSWORD)
    with pytest.raises(InputError, match="already exists"):
        store.create("receiver", PASSWORD)
    assert store.create("receiver", PASSWORD, overwrite=True) != first


def test_label_derived_key_is_refused(tmp_path: Path) -> None:
    """A keystore holding the derivable development key is refused when unlocked."""
    from eth_account import Account

    dev = agent_dev_wallet("remittance")
    (tmp_path / "remittance.json").write_text(json.dumps(Account.encrypt(dev.key, PASSWORD)))
    with pytest.raises(KeystoreError, match="label-derived development key"):
        Keystore(tmp_path).unlock("remittance", PASSWORD)
    with pytest.raises(InputError, match="label-derived"):
        Keystore(tmp_path / "new").create("remittance", PASSWORD, key=bytes(dev.key))


def test_missing_keystore_and_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KeystoreError, match=r"credit\.json does not exist") as missing:
        Keystore(tmp_path).unlock("credit", PASSWORD)
    assert "zkredit keys new --agent credit" in (missing.value.hint or "")
    monkeypatch.delenv("ZKREDIT_KEYSTORE_PASSWORD", raising=False)
    monkeypatch.delenv("ZKREDIT_KEYSTORE_PASSWORD_FILE", raising=False)
    with pytest.raises(KeystoreError, match="no keystore password"):
        read_password()
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("ZKREDIT_KEYSTORE_PASSWORD_FILE", str(secret))
    assert read_password() == PASSWORD
