"""Deterministic development wallets, and the one file their keys may live in.

A development deployment gives each agent its own wallet, derived from a label
so that every developer (and every test run) gets the same addresses. Anyone can
derive these keys: they are for development chains only, and a production
deployment refuses them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from zkredit.chain.backends import ANVIL_ACCOUNTS, ANVIL_MNEMONIC
from zkredit.chain.deployment import keys_path, write_json_atomic
from zkredit.chain.errors import DeploymentError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DEV_WALLET_PREFIX = "zkredit development wallet: "


def dev_wallet(label: str) -> LocalAccount:
    """The development wallet named ``label`` (e.g. ``"agent worker"``)."""
    digest = int.from_bytes(keccak(text=DEV_WALLET_PREFIX + label), "big")
    acct: LocalAccount = Account.from_key((digest % (SECP256K1_N - 1) + 1).to_bytes(32, "big"))
    return acct


def agent_dev_wallet(agent: str) -> LocalAccount:
    return dev_wallet(f"agent {agent}")


def well_known_dev_addresses() -> set[str]:
    """Addresses whose keys are public: anvil's and eth-tester's default accounts."""
    Account.enable_unaudited_hdwallet_features()
    known = {
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").address.lower()
        for i in range(ANVIL_ACCOUNTS)
    }
    known |= {Account.from_key(i.to_bytes(32, "big")).address.lower() for i in range(1, 11)}
    return known


def write_dev_keys(directory: Path, chain_id: int, wallets: Mapping[str, LocalAccount]) -> Path:
    """Store the agents' development keys next to the deployment, readable by the
    owner only (0600)."""
    data = {
        "warning": "development keys, derivable by anyone: never fund them on a real network",
        "chainId": chain_id,
        "agents": {
            name: {"address": acct.address, "privateKey": "0x" + bytes(acct.key).hex()}
            for name, acct in wallets.items()
        },
    }
    path = keys_path(directory, chain_id)
    try:
        unchanged = json.loads(path.read_text()) == data and path.stat().st_mode & 0o077 == 0
    except (OSError, json.JSONDecodeError):
        unchanged = False
    if not unchanged:
        write_json_atomic(path, data, mode=0o600)
    return path


def read_dev_keys(directory: Path, chain_id: int) -> dict[str, LocalAccount]:
    path = keys_path(directory, chain_id)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise DeploymentError(f"{path} is not valid JSON: {exc}") from None
    return {name: Account.from_key(entry["privateKey"]) for name, entry in data["agents"].items()}
