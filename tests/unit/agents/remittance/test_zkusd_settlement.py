"""F25: a zkUSD settlement pays once, even when the process dies around the token transfer.

The signed transaction is journalled in the remittance agent's database before it is
broadcast. A settlement that finds its journal entry resends that same transaction
(at most one can be mined) instead of signing a second transfer; only when another
transaction has taken its nonce, so it can never be mined, is a new one signed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from zkredit.agents.onchain import ZkUsdSettlement
from zkredit.agents.remittance.settlement import SettlementJournal, SettlementRequest
from zkredit.chain.client import ChainClient
from zkredit.chain.config import development_config
from zkredit.chain.deployer import deploy
from zkredit.chain.deployment import System
from zkredit.domain.money import Money, currency
from zkredit.scenarios import demo_kyc_tree, demo_registry
from zkredit.settings import load_settings
from zkredit.store.db import Database

USD = currency("USD")


class Crash(BaseException):
    """The process dies (a BaseException, like the signal that kills it)."""


@pytest.fixture(scope="module")
def chain_system(tmp_path_factory: pytest.TempPathFactory) -> tuple[ChainClient, System,
                                                                     LocalAccount]:
    chain = ChainClient.embedded()
    deployer = chain.add_account(chain.dev_accounts()[0])
    config = development_config(
        load_settings(check=False), demo_registry(tmp_path_factory.mktemp("issuers")),
        kyc_roots=(int(demo_kyc_tree().root),))
    report = deploy(chain, config, deployer, tmp_path_factory.mktemp("deployments"))
    system = report.deployment.system(chain, sender=deployer)
    assert system.zkusd is not None
    return chain, system, deployer


@pytest.fixture
def settlement(chain_system: tuple[ChainClient, System, LocalAccount],
               tmp_path: Path) -> Iterator[tuple[ZkUsdSettlement, str, Database]]:
    chain, system, deployer = chain_system
    provider = chain.add_account(Account.create())
    chain.send_value(provider.address, 10**18, deployer)
    assert system.zkusd is not None
    system.zkusd.mint(provider.address, 1_000_000_00, sender=deployer)
    partner = Account.create().address
    db = Database.open("remittance", None, tmp_path)
    db.migrate()
    yield ZkUsdSettlement(system, provider, partner, journal=SettlementJournal(db)), partner, db
    db.dispose()


def paid(system: System, partner: str) -> int:
    assert system.zkusd is not None
    return system.zkusd.balance_of(partner)


REQUEST = SettlementRequest("tr_zkusd_1", Money(250_00, USD), "po_1", "bank_transfer")


def test_settling_twice_pays_once(settlement: tuple[ZkUsdSettlement, str, Database],
                                  chain_system: tuple[ChainClient, System, LocalAccount]) -> None:
    settle, partner, _ = settlement
    first = settle.settle(REQUEST)
    assert paid(chain_system[1], partner) == 250_00
    assert settle.settle(REQUEST) == first
    assert paid(chain_system[1], partner) == 250_00


def test_a_crash_after_the_transfer_was_sent_does_not_pay_again(
    settlement: tuple[ZkUsdSettlement, str, Database],
    chain_system: tuple[ChainClient, System, LocalAccount], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settle, partner, db = settlement
    _chain, system, _ = chain_system
    real_wait = ChainClient.wait

    def die_after_sending(self: ChainClient, tx_hash: str) -> Any:
        real_wait(self, tx_hash)  # mined...
        raise Crash("killed before the settlement was recorded")

    with monkeypatch.context() as patch:
        patch.setattr(ChainClient, "wait", die_after_sending)
        with pytest.raises(Crash):
            settle.settle(REQUEST)
    assert paid(system, partner) == 250_00

    # A new process: nothing in memory, only the journal in the database.
    restarted = ZkUsdSettlement(system, settle.account, partner, journal=SettlementJournal(db))
    tx = restarted.settle(REQUEST)

    assert tx is not None
    assert paid(system, partner) == 250_00


def test_a_crash_before_the_broadcast_sends_the_journalled_transaction(
    settlement: tuple[ZkUsdSettlement, str, Database],
    chain_system: tuple[ChainClient, System, LocalAccount], monkeypatch: pytest.MonkeyPatch,
) -> None:
    settle, partner, db = settlement
    _chain, system, _ = chain_system
    request = SettlementRequest("tr_zkusd_2", Money(100_00, USD), "po_2", "bank_transfer")

    def die_before_sending(self: ChainClient, raw: bytes) -> str:
        raise Crash("killed between journalling and broadcasting")

    with monkeypatch.context() as patch:
        patch.setattr(ChainClient, "broadcast", die_before_sending)
        with pytest.raises(Crash):
            settle.settle(request)
    assert paid(system, partner) == 0
    journalled = SettlementJournal(db).get("tr_zkusd_2")
    assert journalled is not None

    tx = ZkUsdSettlement(system, settle.account, partner,
                         journal=SettlementJournal(db)).settle(request)

    assert tx == journalled.tx_hash
    assert paid(system, partner) == 100_00
