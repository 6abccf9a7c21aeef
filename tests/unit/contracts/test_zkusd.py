"""zkUSD test stablecoin: 2 decimals, minter role, EIP-2612 permit."""

from __future__ import annotations

from .chain import Chain, System, role

MINTER = role("MINTER_ROLE")
PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def test_metadata_and_minter_role(chain: Chain, system: System) -> None:
    t = system.zkusd.functions
    assert (t.name().call(), t.symbol().call(), t.decimals().call()) == (
        "ZKredit Test USD",
        "zkUSD",
        2,
    )
    holder, stranger = chain.accounts[1], chain.accounts[9]
    chain.tx(t.mint(holder, 123_45), system.admin)
    assert t.balanceOf(holder).call() == 123_45
    chain.reverts(
        t.mint(stranger, 1), stranger, "AccessControlUnauthorizedAccount", stranger, MINTER
    )
    chain.tx(t.burn(45), holder)
    assert t.totalSupply().call() == 123_00


def _permit_sig(
    chain: Chain, system: System, owner: str, spender: str, value: int, nonce: int, deadline: int
) -> bytes:
    domain = {
        "name": "ZKredit Test USD",
        "version": "1",
        "chainId": chain.w3.eth.chain_id,
        "verifyingContract": system.zkusd.address,
    }
    message = {
        "owner": owner,
        "spender": spender,
        "value": value,
        "nonce": nonce,
        "deadline": deadline,
    }
    return chain.sign_typed(owner, domain, PERMIT_TYPES, message)


def test_permit_sets_allowance_once(chain: Chain, system: System) -> None:
    t = system.zkusd.functions
    owner, spender = chain.accounts[2], chain.accounts[3]
    chain.tx(t.mint(owner, 50_000), system.admin)
    deadline = chain.now() + 3600
    nonce = t.nonces(owner).call()
    sig = _permit_sig(chain, system, owner, spender, 20_000, nonce, deadline)
    r, s, v = sig[:32], sig[32:64], sig[64]
    relayer = chain.accounts[4]
    chain.tx(t.permit(owner, spender, 20_000, deadline, v, r, s), relayer)
    assert t.allowance(owner, spender).call() == 20_000
    assert t.nonces(owner).call() == nonce + 1
    chain.tx(t.transferFrom(owner, spender, 15_000), spender)
    assert t.balanceOf(spender).call() == 15_000
    # Replaying the same signature fails: the nonce moved on.
    chain.reverts(
        t.permit(owner, spender, 20_000, deadline, v, r, s), relayer, "ERC2612InvalidSigner"
    )


def test_permit_rejects_expired_and_wrong_signer(chain: Chain, system: System) -> None:
    t = system.zkusd.functions
    owner, spender = chain.accounts[5], chain.accounts[6]
    nonce = t.nonces(owner).call()
    expired = chain.now() - 1
    sig = _permit_sig(chain, system, owner, spender, 1, nonce, expired)
    chain.reverts(
        t.permit(owner, spender, 1, expired, sig[64], sig[:32], sig[32:64]),
        spender,
        "ERC2612ExpiredSignature",
        expired,
    )
    deadline = chain.now() + 3600
    forged = _permit_sig(chain, system, spender, spender, 1, nonce, deadline)
    chain.reverts(
        t.permit(owner, spender, 1, deadline, forged[64], forged[:32], forged[32:64]),
        spender,
        "ERC2612InvalidSigner",
    )
