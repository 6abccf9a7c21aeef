"""F41: no secret or private value in a repr, a log line or an error body: the settings'
secrets, the vault keys, an identity's secret and wallet key, token keys, a password
given to a failed login, the travel-rule private key (sealed at rest)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from eth_account import Account

from zkredit.agents.receiver.travel_rule import TravelRuleKey
from zkredit.agents.worker.vault import Keyring
from zkredit.agents.worker.vaultstore import Identity
from zkredit.bootstrap import build_access_store
from zkredit.settings import load_settings
from zkredit.users.roles import Role
from zkredit.users.store import LoginFailed
from zkredit.users.tokens import TokenKeys

JWT, VAULT, OLD = "jwt-secret-" + "q" * 30, "ab" * 32, "cd" * 32


def test_settings_keep_their_secrets_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", JWT)
    monkeypatch.setenv("ENCRYPTION_KEY", VAULT)
    monkeypatch.setenv("ENCRYPTION_KEY_PREVIOUS", OLD)
    settings = load_settings(check=False)
    assert settings.security.jwt_secret == JWT  # still read ...
    for text in (repr(settings), str(settings), repr(settings.security)):
        assert JWT not in text and VAULT not in text and OLD not in text  # ... never shown


def test_keys_and_identities_keep_their_material_out_of_repr() -> None:
    keyring = Keyring.from_settings(VAULT, OLD, development=False)
    wallet = Account.create()
    ident = Identity("id-1", "Maria", 42, wallet, 123456789123456789)
    shown = repr(keyring) + repr(ident) + repr(TokenKeys.development(JWT))
    for secret in (bytes.fromhex(VAULT).hex(), "123456789123456789", wallet.key.hex(),
                   str(bytes.fromhex(VAULT)), JWT):
        assert secret not in shown


def test_a_failed_login_logs_and_answers_nothing_of_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    settings = load_settings(check=False, env="development", app={"data_dir": tmp_path},
                             database={"url": ""})
    store = build_access_store(settings)
    try:
        store.add_user("maria", "the right password", frozenset({Role.WORKER}))
        caplog.set_level(logging.DEBUG)
        with pytest.raises(LoginFailed) as refused:
            store.login("maria", "a wrong password typed in")
        pair = store.login("maria", "the right password")
    finally:
        store.db.dispose()
    text = caplog.text + str(refused.value) + repr(refused.value) + repr(pair)
    for secret in ("a wrong password", "the right password", pair.refresh_token,
                   pair.access_token):
        assert secret not in text


def test_the_travel_rule_private_key_is_sealed_at_rest(tmp_path: Path) -> None:
    keyring = Keyring.from_settings(VAULT, development=False)
    path = tmp_path / "travel.key"
    key = TravelRuleKey.load_or_create(path, keyring)
    raw = key._private.private_bytes_raw().hex()
    assert raw not in path.read_text() and path.read_text().startswith("zkv1:")
    assert raw not in repr(key)
    assert TravelRuleKey.load_or_create(path, keyring).public_hex == key.public_hex

    legacy = tmp_path / "legacy.key"  # a plaintext key of an older version is sealed
    legacy.write_text(raw)
    assert TravelRuleKey.load_or_create(legacy, keyring).public_hex == key.public_hex
    assert legacy.read_text().startswith("zkv1:") and (legacy.stat().st_mode & 0o777) == 0o600
