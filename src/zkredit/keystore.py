"""Agent signing keys in encrypted keystores (the Ethereum V3 keystore format).

One file per agent, ``<keystore_dir>/<agent>.json``, mode 0600, written
atomically. The password comes from ``ZKREDIT_KEYSTORE_PASSWORD_FILE`` (a
mounted secret) or ``ZKREDIT_KEYSTORE_PASSWORD``; it is never a command-line
argument. Outside development every agent key comes from here: a key derived
from a public label (the development wallets) is refused by name.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from zkredit.chain.deployment import write_json_atomic
from zkredit.chain.wallets import agent_dev_wallet
from zkredit.errors import ConfigurationError, InputError

AGENT_NAMES = ("worker", "credit", "remittance", "receiver")
PASSWORD_ENV = "ZKREDIT_KEYSTORE_PASSWORD"
PASSWORD_FILE_ENV = "ZKREDIT_KEYSTORE_PASSWORD_FILE"
MIN_PASSWORD_LENGTH = 12


class KeystoreError(ConfigurationError):
    """Raised when a keystore is missing, unreadable, or its password is wrong."""


def read_password(password: str | None = None, password_file: Path | str | None = None) -> str:
    """The keystore password: the given one, else the file, else the environment."""
    path = password_file or os.environ.get(PASSWORD_FILE_ENV)
    if password is None and path:
        try:
            password = Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise KeystoreError(
                f"cannot read the keystore password file {path}: {exc.strerror}",
                hint=f"Point {PASSWORD_FILE_ENV} at a readable file holding the password.",
            ) from None
    if password is None:
        password = os.environ.get(PASSWORD_ENV)
    if not password:
        raise KeystoreError(
            "no keystore password: the agent keystores are encrypted",
            hint=f"Set {PASSWORD_FILE_ENV} (a secret file) or {PASSWORD_ENV}.",
        )
    return password


def is_label_derived(name: str, address: str) -> bool:
    """True when ``address`` is the development wallet anyone can derive for ``name``."""
    return agent_dev_wallet(name).address.lower() == address.lower()


@dataclass(frozen=True)
class Keystore:
    """The directory of agent keystores."""

    directory: Path

    def path(self, agent: str) -> Path:
        if agent not in AGENT_NAMES:
            raise InputError(f"unknown agent {agent!r}; choose one of {', '.join(AGENT_NAMES)}")
        return self.directory / f"{agent}.json"

    def exists(self, agent: str) -> bool:
        return self.path(agent).is_file()

    def create(self, agent: str, password: str, *, key: bytes | None = None,
               overwrite: bool = False) -> str:
        """Write a new keystore for ``agent`` (a fresh random key unless ``key``); returns
        its address. Refuses to replace an existing one unless ``overwrite``."""
        path = self.path(agent)
        if path.exists() and not overwrite:
            raise InputError(
                f"{path} already exists (address {self.address(agent)})",
                hint="Pass --force to replace it; the old key is then lost unless backed up.",
            )
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InputError(
                f"the keystore password is {len(password)} characters; "
                f"use at least {MIN_PASSWORD_LENGTH}")
        account: LocalAccount = Account.from_key(key) if key else Account.create()
        if is_label_derived(agent, account.address):
            raise InputError(f"refusing to store {agent}'s label-derived development key")
        data = Account.encrypt(account.key, password)
        write_json_atomic(path, data, mode=0o600)
        return str(account.address)

    def _read(self, agent: str) -> dict[str, object]:
        path = self.path(agent)
        try:
            data: dict[str, object] = json.loads(path.read_text())
        except FileNotFoundError:
            raise KeystoreError(
                f"no keystore for the {agent} agent: {path} does not exist",
                hint=f"Create one with `zkredit keys new --agent {agent}`.",
            ) from None
        except (OSError, json.JSONDecodeError) as exc:
            raise KeystoreError(f"{path} is not a readable keystore: {exc}") from None
        return data

    def address(self, agent: str) -> str:
        """The agent's checksummed address, read without the password."""
        from eth_utils.address import to_checksum_address

        raw = str(self._read(agent).get("address", ""))
        return str(to_checksum_address("0x" + raw.removeprefix("0x")))

    def addresses(self) -> dict[str, str]:
        """Agent -> address, for every keystore present (no password needed)."""
        return {agent: self.address(agent) for agent in AGENT_NAMES if self.exists(agent)}

    def unlock(self, agent: str, password: str) -> LocalAccount:
        """The agent's account; refuses a wrong password and a label-derived key."""
        data = self._read(agent)
        try:
            key = Account.decrypt(data, password)
        except ValueError:
            raise KeystoreError(
                f"cannot decrypt {self.path(agent)}: wrong password or a damaged file",
                hint=f"Check {PASSWORD_FILE_ENV} / {PASSWORD_ENV}.",
            ) from None
        account: LocalAccount = Account.from_key(key)
        if is_label_derived(agent, account.address):
            raise KeystoreError(
                f"{self.path(agent)} holds the {agent} agent's label-derived development key, "
                "which anyone can compute",
                hint=f"Make a real key with `zkredit keys new --agent {agent} --force`.",
            )
        return account
