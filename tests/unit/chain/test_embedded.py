"""The shared chain suite on the embedded py-evm chain, plus what only it has."""

from __future__ import annotations

from typing import ClassVar

import pytest
from eth_abi.abi import encode

from tests.unit.chain.suite import PAIRING_TAMPERS, ChainSuite
from zkredit.chain.backends import _revert_response
from zkredit.chain.client import ChainClient


class TestEmbeddedChain(ChainSuite):
    # Each failed pairing costs seconds on py-evm (the batch, then the four proofs one
    # by one); one case here, all three on anvil.
    pairing_tampers: ClassVar[list[tuple[str, int, int]]] = PAIRING_TAMPERS[:1]

    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> ChainClient:
        return ChainClient.embedded()


def test_eth_tester_failures_become_node_style_errors() -> None:
    raw = b"\xe2\x51\x7d\x3f" + encode(["uint256"], [5])
    response = _revert_response(f"execution reverted: {raw!r}")
    assert response["error"]["data"] == "0x" + raw.hex()
    assert response["error"]["code"] == 3
    text = _revert_response("execution reverted: not allowed")["error"]["data"]
    assert text == "0x08c379a0" + encode(["string"], ["not allowed"]).hex()
    assert _revert_response("execution reverted: Out of gas: Needed 3")["error"]["data"] is None


def test_snapshot_and_revert_restore_state_and_nonces() -> None:
    client = ChainClient.embedded()
    sender, to = client.accounts[0], client.accounts[1]
    snap = client.snapshot()
    client.send_value(to, 10**18, sender)
    client.revert_to(snap)
    assert client.balance(to) == client.balance(client.accounts[2])
    client.send_value(to, 1, sender)  # the nonce was re-read after the revert
