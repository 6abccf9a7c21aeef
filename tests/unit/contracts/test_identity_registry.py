"""ERC-8004 identity registry: registration, URI, metadata and the verified wallet."""

from __future__ import annotations

from typing import Any

import pytest

from .chain import Chain, System

WALLET_TYPES = {
    "AgentWalletSet": [
        {"name": "agentId", "type": "uint256"},
        {"name": "newWallet", "type": "address"},
        {"name": "owner", "type": "address"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def _register(chain: Chain, system: System, sender: str, *args: Any) -> int:
    sig = {0: "register()", 1: "register(string)", 2: "register(string,(string,bytes)[])"}[
        len(args)
    ]
    receipt = chain.tx(system.identity.get_function_by_signature(sig)(*args), sender)
    (event,) = chain.events(system.identity, "Registered", receipt)
    assert event.args.owner == sender
    return int(event.args.agentId)


def _wallet_signature(
    chain: Chain,
    system: System,
    signer: str,
    agent_id: int,
    new_wallet: str,
    owner: str,
    deadline: int,
) -> bytes:
    domain = {
        "name": "ERC8004IdentityRegistry",
        "version": "1",
        "chainId": chain.w3.eth.chain_id,
        "verifyingContract": system.identity.address,
    }
    message = {"agentId": agent_id, "newWallet": new_wallet, "owner": owner, "deadline": deadline}
    return chain.sign_typed(signer, domain, WALLET_TYPES, message)


@pytest.fixture(scope="module")
def agent(chain: Chain, system: System) -> int:
    return _register(chain, system, chain.accounts[1], "ipfs://agent-card")


def test_register_variants_mint_sequential_ids_from_one(chain: Chain, system: System) -> None:
    owner = chain.accounts[2]
    bare = _register(chain, system, owner)
    with_uri = _register(chain, system, owner, "https://worker.example/agent.json")
    with_meta = _register(
        chain, system, owner, "ipfs://x", [("role", b"worker"), ("version", b"\x01")]
    )
    assert bare >= 1 and with_uri == bare + 1 and with_meta == bare + 2
    ident = system.identity.functions
    assert ident.ownerOf(with_uri).call() == owner
    assert ident.tokenURI(with_uri).call() == "https://worker.example/agent.json"
    assert ident.tokenURI(bare).call() == ""
    assert ident.getMetadata(with_meta, "role").call() == b"worker"
    assert ident.getMetadata(with_meta, "version").call() == b"\x01"
    assert ident.getAgentWallet(bare).call() == owner
    assert ident.getMetadata(bare, "agentWallet").call() == bytes.fromhex(owner[2:])
    assert ident.totalAgents().call() == with_meta


def test_register_rejects_reserved_wallet_key(chain: Chain, system: System) -> None:
    fn = system.identity.get_function_by_signature("register(string,(string,bytes)[])")
    chain.reverts(
        fn("ipfs://x", [("agentWallet", b"\x00" * 20)]),
        chain.accounts[2],
        "IdentityRegistry__ReservedMetadataKey",
        "agentWallet",
    )


def test_set_agent_uri_owner_or_operator_only(chain: Chain, system: System, agent: int) -> None:
    owner, operator, stranger = chain.accounts[1], chain.accounts[3], chain.accounts[4]
    ident = system.identity.functions
    receipt = chain.tx(ident.setAgentURI(agent, "ipfs://v2"), owner)
    (event,) = chain.events(system.identity, "URIUpdated", receipt)
    assert (event.args.agentId, event.args.newURI, event.args.updatedBy) == (
        agent,
        "ipfs://v2",
        owner,
    )
    chain.reverts(
        ident.setAgentURI(agent, "ipfs://evil"),
        stranger,
        "IdentityRegistry__NotAuthorized",
        agent,
        stranger,
    )
    chain.tx(ident.setApprovalForAll(operator, True), owner)
    chain.tx(ident.setAgentURI(agent, "ipfs://v3"), operator)
    assert ident.tokenURI(agent).call() == "ipfs://v3"
    assert ident.isAuthorizedOrOwner(operator, agent).call()
    chain.tx(ident.setApprovalForAll(operator, False), owner)
    # The reference's helper: (spender, agentId), reverting for an unknown agent.
    assert ident.isAuthorizedOrOwner(owner, agent).call()
    assert not ident.isAuthorizedOrOwner(stranger, agent).call()
    assert not ident.isAuthorizedOrOwner(operator, agent).call()
    chain.reverts(ident.isAuthorizedOrOwner(owner, 10**9), owner, "ERC721NonexistentToken", 10**9)


def test_metadata_set_get_and_reserved_key(chain: Chain, system: System, agent: int) -> None:
    owner, stranger = chain.accounts[1], chain.accounts[4]
    ident = system.identity.functions
    receipt = chain.tx(ident.setMetadata(agent, "endpoint", b"https://a.example"), owner)
    (event,) = chain.events(system.identity, "MetadataSet", receipt)
    assert (event.args.metadataKey, event.args.metadataValue) == ("endpoint", b"https://a.example")
    assert ident.getMetadata(agent, "endpoint").call() == b"https://a.example"
    assert ident.getMetadata(agent, "missing").call() == b""
    chain.reverts(
        ident.setMetadata(agent, "agentWallet", b"\x11" * 20),
        owner,
        "IdentityRegistry__ReservedMetadataKey",
        "agentWallet",
    )
    chain.reverts(
        ident.setMetadata(agent, "endpoint", b"x"), stranger, "IdentityRegistry__NotAuthorized"
    )


def test_set_agent_wallet_with_new_wallet_signature(
    chain: Chain, system: System, agent: int
) -> None:
    owner, new_wallet = chain.accounts[1], chain.accounts[5]
    deadline = chain.now() + 120
    sig = _wallet_signature(chain, system, new_wallet, agent, new_wallet, owner, deadline)
    receipt = chain.tx(
        system.identity.functions.setAgentWallet(agent, new_wallet, deadline, sig), owner
    )
    (event,) = chain.events(system.identity, "MetadataSet", receipt)
    assert event.args.metadataKey == "agentWallet"
    assert event.args.metadataValue == bytes.fromhex(new_wallet[2:])
    assert system.identity.functions.getAgentWallet(agent).call() == new_wallet


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("signed by another key", "IdentityRegistry__InvalidWalletSignature"),
        ("signed for another agent", "IdentityRegistry__InvalidWalletSignature"),
        ("expired deadline", "IdentityRegistry__InvalidDeadline"),
        ("deadline too far", "IdentityRegistry__InvalidDeadline"),
        ("zero wallet", "IdentityRegistry__ZeroWallet"),
        ("caller not owner", "IdentityRegistry__NotAuthorized"),
    ],
)
def test_set_agent_wallet_tamper_table(
    chain: Chain, system: System, agent: int, case: str, error: str
) -> None:
    owner, new_wallet, other = chain.accounts[1], chain.accounts[6], chain.accounts[7]
    now = chain.now()
    deadline, signer, signed_agent, wallet, caller = now + 120, new_wallet, agent, new_wallet, owner
    if case == "signed by another key":
        signer = other
    elif case == "signed for another agent":
        signed_agent = agent + 1000
    elif case == "expired deadline":
        deadline = now - 1
    elif case == "deadline too far":
        deadline = now + 3600
    elif case == "zero wallet":
        wallet = "0x" + "00" * 20
    elif case == "caller not owner":
        caller = other
    sig = _wallet_signature(chain, system, signer, signed_agent, new_wallet, owner, deadline)
    chain.reverts(
        system.identity.functions.setAgentWallet(agent, wallet, deadline, sig), caller, error
    )


def test_set_agent_wallet_accepts_erc1271_contract_wallet(chain: Chain, system: System) -> None:
    owner, wallet_owner = chain.accounts[2], chain.accounts[8]
    agent_id = _register(chain, system, owner, "ipfs://contract-wallet-agent")
    wallet = chain.deploy("test/ERC1271WalletMock", wallet_owner)
    deadline = chain.now() + 120
    sig = _wallet_signature(chain, system, wallet_owner, agent_id, wallet.address, owner, deadline)
    chain.tx(
        system.identity.functions.setAgentWallet(agent_id, wallet.address, deadline, sig), owner
    )
    assert system.identity.functions.getAgentWallet(agent_id).call() == wallet.address
    bad = _wallet_signature(chain, system, owner, agent_id, wallet.address, owner, deadline)
    chain.reverts(
        system.identity.functions.setAgentWallet(agent_id, wallet.address, deadline, bad),
        owner,
        "IdentityRegistry__InvalidWalletSignature",
    )


def test_transfer_clears_wallet_and_unset(chain: Chain, system: System) -> None:
    seller, buyer = chain.accounts[2], chain.accounts[9]
    agent_id = _register(chain, system, seller, "ipfs://for-sale")
    ident = system.identity.functions
    assert ident.getAgentWallet(agent_id).call() == seller
    receipt = chain.tx(ident.transferFrom(seller, buyer, agent_id), seller)
    wallet_events = [
        e
        for e in chain.events(system.identity, "MetadataSet", receipt)
        if e.args.metadataKey == "agentWallet"
    ]
    assert [e.args.metadataValue for e in wallet_events] == [b""]
    assert ident.getAgentWallet(agent_id).call() == "0x" + "00" * 20
    assert ident.getMetadata(agent_id, "agentWallet").call() == b""

    other = _register(chain, system, seller)
    chain.tx(ident.unsetAgentWallet(other), seller)
    assert ident.getAgentWallet(other).call() == "0x" + "00" * 20
    chain.reverts(ident.unsetAgentWallet(other), buyer, "IdentityRegistry__NotAuthorized")


def test_unknown_agent_reverts(chain: Chain, system: System) -> None:
    chain.reverts(
        system.identity.functions.getAgentWallet(10**9),
        chain.accounts[0],
        "ERC721NonexistentToken",
        10**9,
    )
    assert system.identity.functions.supportsInterface(bytes.fromhex("80ac58cd")).call()  # ERC-721
