"""Runtime-code comparison (immutables masked) and revert decoding over every artifact."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from zkredit.chain.artifacts import ArtifactStore
from zkredit.chain.bytecode import compare_runtime, immutable_slots
from zkredit.chain.errors import DeploymentError

PUSH32_ZERO = bytes([0x7F]) + bytes(32)


def _selector(signature: str) -> bytes:
    return bytes(keccak(text=signature)[:4])


def test_immutable_slots_are_the_zero_push32_immediates() -> None:
    # PUSH1 0x7f (data, not an opcode), PUSH32 <zeros>, STOP, PUSH32 <non-zero>
    code = bytes([0x60, 0x7F]) + PUSH32_ZERO + b"\x00" + bytes([0x7F]) + b"\x01" * 32
    assert immutable_slots(code) == [3]


def test_compare_runtime_masks_immutables_only() -> None:
    art = bytes([0x60, 0x01]) + PUSH32_ZERO + bytes([0x50, 0x00])
    filled = bytearray(art)
    filled[3:35] = b"\xab" * 32  # the constructor wrote an address there
    assert compare_runtime(art, bytes(filled)).matches
    assert compare_runtime(art, bytes(filled)).immutables == 1
    changed = bytearray(filled)
    changed[-2] = 0x51
    result = compare_runtime(art, bytes(changed))
    assert not result.matches and "byte 35" in (result.problem or "")
    assert "no code" in (compare_runtime(art, b"").problem or "")
    assert "bytes" in (compare_runtime(art, bytes(filled) + b"\x00").problem or "")


def test_every_committed_artifact_compares_with_itself() -> None:
    store = ArtifactStore()
    for name in store.names():
        code = store.get(name).deployed_bytecode
        assert compare_runtime(code, code).matches, name


def test_reverts_decode_against_every_artifact() -> None:
    store = ArtifactStore()
    account, role = "0x" + "11" * 20, b"\x22" * 32
    data = _selector("AccessControlUnauthorizedAccount(address,bytes32)") + encode(
        ["address", "bytes32"], [account, role]
    )
    assert store.decode_revert(data) == ("AccessControlUnauthorizedAccount", (account, role))
    # An error of a test double (artifacts/test/) is known too.
    assert store.decode_revert(_selector("ZKCredit__ScopeMismatch()")) == (
        "ZKCredit__ScopeMismatch",
        (),
    )
    reason = bytes.fromhex("08c379a0") + encode(["string"], ["nope"])
    assert store.decode_revert(reason) == ("Error", ("nope",))
    panic = bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])
    assert store.decode_revert(panic) == ("Panic", (0x11,))
    assert store.decode_revert(b"") == (None, ())
    assert store.decode_revert(b"\xde\xad\xbe\xef") == ("0xdeadbeef", ())


def test_unknown_artifact_lists_the_known_ones() -> None:
    with pytest.raises(DeploymentError, match="ZKCreditVerifier") as info:
        ArtifactStore().get("ZKCreditVerifer")
    assert info.value.hint and "make contracts" in info.value.hint


def test_application_abi_type_matches_the_artifact() -> None:
    from zkredit.chain.application import APPLICATION_ABI_TYPE
    from zkredit.chain.policy import POLICY_ABI_TYPE

    zk = ArtifactStore().get("ZKCreditVerifier")
    assert zk.function_input_type("verifyAndAttest") == APPLICATION_ABI_TYPE
    assert zk.function_input_type("registerPolicy") == POLICY_ABI_TYPE
