"""The error hierarchy and the nonce manager."""

from __future__ import annotations

import threading

import pytest

from zkredit.chain.errors import (
    ChainError,
    DeploymentError,
    DeploymentMismatch,
    NodeBinaryMissing,
    NodeUnavailable,
    TxReverted,
    UnsafeDeployment,
)
from zkredit.chain.nonces import NonceManager
from zkredit.cli.output import ExitStatus, exit_status_for
from zkredit.errors import ConfigurationError, ToolMissingError, ZKreditError


def test_hierarchy_and_exit_statuses() -> None:
    assert issubclass(ChainError, ZKreditError)
    assert issubclass(NodeUnavailable, ConnectionError)
    assert exit_status_for(NodeBinaryMissing("x")) is ExitStatus.TOOL_MISSING
    assert issubclass(NodeBinaryMissing, ToolMissingError)
    assert exit_status_for(UnsafeDeployment("x")) is ExitStatus.CONFIG_ERROR
    assert issubclass(UnsafeDeployment, ConfigurationError)
    assert exit_status_for(TxReverted("ZKCredit__ActiveAttestation")) is ExitStatus.ERROR
    mismatch = DeploymentMismatch(["IncomeVerifier at 0x1: no code at the address"])
    assert isinstance(mismatch, DeploymentError)
    assert "IncomeVerifier at 0x1" in mismatch.message


def test_tx_reverted_message_and_matching() -> None:
    mined = TxReverted("ZKCredit__PolicyMismatch", (1, 3), "0xabc")
    assert mined.message == "transaction 0xabc reverted with ZKCredit__PolicyMismatch(1, 3)"
    assert mined.matches("ZKCredit__PolicyMismatch") and mined.matches(
        "ZKCredit__PolicyMismatch", 1, 3
    )
    assert not mined.matches("ZKCredit__PolicyMismatch", 1, 4)
    assert not mined.matches("ZKCredit__StaleDate")
    who = "0x" + "aB" * 20
    role = TxReverted("AccessControlUnauthorizedAccount", (who.lower(), b"\x01" * 32))
    assert role.matches("AccessControlUnauthorizedAccount", who, b"\x01" * 32)  # any case
    assert "0x0101" in role.message
    bare = TxReverted(None, detail="out of gas (used 100 of 100)")
    assert bare.message == "the call reverted out of gas (used 100 of 100)"
    simulated = mined.as_simulated()
    assert simulated.tx_hash is None and "not sent" in simulated.message


def test_nonces_are_unique_and_ordered_across_threads() -> None:
    fetched: list[str] = []
    manager = NonceManager(lambda address: fetched.append(address) or 7)
    seen: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        for _ in range(50):
            with manager.reserve("0xAbC") as nonce, lock:
                seen.append(nonce)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(7, 7 + 400))
    assert fetched == ["0xAbC"]  # read from the node once


def test_a_failed_send_rereads_the_nonce() -> None:
    counts = iter([3, 9])
    manager = NonceManager(lambda address: next(counts))
    with manager.reserve("0x1") as nonce:
        assert nonce == 3
    with pytest.raises(RuntimeError), manager.reserve("0x1") as nonce:
        assert nonce == 4
        raise RuntimeError("node refused it")
    with manager.reserve("0x1") as nonce:
        assert nonce == 9  # asked the node again
    manager.forget("0x1")
