"""KYC registry: roles, root history, deny-set and trusted issuer keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from . import zkapp
from .chain import ADMIN_DELAY, Chain, System, role

R = zkapp.R
KYC_PROVIDER = role("KYC_PROVIDER_ROLE")
ISSUER_ADMIN = role("ISSUER_ADMIN_ROLE")
POLICY_ADMIN = role("POLICY_ADMIN_ROLE")
DEFAULT_ADMIN = b"\x00" * 32

KEY_A = zkapp.Issuer("kyc-test-a").pub
KEY_B = zkapp.Issuer("kyc-test-b").pub
KEY_C = zkapp.Issuer("kyc-test-c").pub


@pytest.fixture(scope="module")
def roles(chain: Chain, system: System) -> dict[str, str]:
    """provider, issuer admin and policy admin accounts, distinct from the admin."""
    who = {"provider": chain.accounts[1], "issuers": chain.accounts[2], "policy": chain.accounts[3]}
    kyc = system.kyc.functions
    chain.tx(kyc.grantRole(KYC_PROVIDER, who["provider"]), system.admin)
    chain.tx(kyc.grantRole(ISSUER_ADMIN, who["issuers"]), system.admin)
    chain.tx(kyc.grantRole(POLICY_ADMIN, who["policy"]), system.admin)
    return who


PRIVILEGED: list[tuple[str, bytes, Callable[[Any], Any]]] = [
    ("publishRoot", KYC_PROVIDER, lambda k: k.publishRoot(12345)),
    ("setDenyList", POLICY_ADMIN, lambda k: k.setDenyList([408, 0, 0, 0, 0, 0, 0, 0], 7)),
    ("addIssuer", ISSUER_ADMIN, lambda k: k.addIssuer(1, *KEY_A)),
    ("revokeIssuer", ISSUER_ADMIN, lambda k: k.revokeIssuer(1, *KEY_A)),
    ("rotateIssuer", ISSUER_ADMIN, lambda k: k.rotateIssuer(1, *KEY_A, *KEY_B)),
    ("invalidateIssuerAttestations", ISSUER_ADMIN,
     lambda k: k.invalidateIssuerAttestations(1, *KEY_A)),
    ("grantRole", DEFAULT_ADMIN, lambda k: k.grantRole(KYC_PROVIDER, "0x" + "11" * 20)),
]


@pytest.mark.parametrize(("name", "needed", "call"), PRIVILEGED, ids=[p[0] for p in PRIVILEGED])
def test_privileged_functions_reject_unprivileged_callers(
    chain: Chain,
    system: System,
    roles: dict[str, str],
    name: str,
    needed: bytes,
    call: Callable[[Any], Any],
) -> None:
    for caller in (chain.accounts[9], *(a for a in roles.values() if a != _holder(roles, needed))):
        chain.reverts(
            call(system.kyc.functions), caller, "AccessControlUnauthorizedAccount", caller, needed
        )


def _holder(roles: dict[str, str], needed: bytes) -> str | None:
    return {
        KYC_PROVIDER: roles["provider"],
        ISSUER_ADMIN: roles["issuers"],
        POLICY_ADMIN: roles["policy"],
    }.get(needed)


def test_admin_transfer_is_two_step_with_delay(chain: Chain, system: System) -> None:
    kyc = system.kyc.functions
    assert kyc.defaultAdmin().call() == system.admin
    assert kyc.defaultAdminDelay().call() == ADMIN_DELAY
    chain.reverts(
        kyc.beginDefaultAdminTransfer(chain.accounts[9]),
        chain.accounts[9],
        "AccessControlUnauthorizedAccount",
        chain.accounts[9],
        DEFAULT_ADMIN,
    )


def test_root_history_timestamps_and_latest(
    chain: Chain, system: System, roles: dict[str, str]
) -> None:
    provider = roles["provider"]
    kyc = system.kyc.functions
    before = kyc.rootHistoryLength().call()
    receipt = chain.tx(kyc.publishRoot(1001), provider)
    published_at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    (event,) = chain.events(system.kyc, "RootPublished", receipt)
    assert (event.args.provider, event.args.root, event.args.publishedAt) == (
        provider,
        1001,
        published_at,
    )
    chain.tx(kyc.publishRoot(1002), provider)
    assert kyc.rootTimestamp(1001).call() == published_at
    assert kyc.rootTimestamp(999).call() == 0
    assert kyc.isKnownRoot(1001).call() and kyc.isKnownRoot(1002).call()
    assert not kyc.isKnownRoot(999).call()
    assert kyc.latestRoot(provider).call() == 1002
    assert kyc.rootHistoryLength().call() == before + 2
    assert kyc.rootAt(before + 1).call() == 1002
    assert kyc.rootInfo(1001).call() == [provider, published_at, False]


@pytest.mark.parametrize(
    ("root", "error"), [(0, "KYCRegistry__InvalidRoot"), (R, "KYCRegistry__InvalidRoot")]
)
def test_publish_root_rejects_out_of_field(
    chain: Chain, system: System, roles: dict[str, str], root: int, error: str
) -> None:
    chain.reverts(system.kyc.functions.publishRoot(root), roles["provider"], error, root)


def test_duplicate_and_revoked_roots(chain: Chain, system: System, roles: dict[str, str]) -> None:
    provider, issuers, stranger = roles["provider"], roles["issuers"], chain.accounts[9]
    kyc = system.kyc.functions
    chain.tx(kyc.publishRoot(2001), provider)
    chain.tx(kyc.publishRoot(2001), provider)  # re-attested, still one root
    assert kyc.rootAt(kyc.rootHistoryLength().call() - 1).call() == 2001
    chain.reverts(
        kyc.revokeRoot(2001), stranger, "AccessControlUnauthorizedAccount", stranger, ISSUER_ADMIN
    )
    receipt = chain.tx(kyc.revokeRoot(2001), provider)  # its publisher
    (event,) = chain.events(system.kyc, "RootRevoked", receipt)
    assert (event.args.root, event.args.provider, event.args.revokedBy) == (
        2001,
        provider,
        provider,
    )
    assert not kyc.isKnownRoot(2001).call()
    chain.reverts(kyc.publishRoot(2001), provider, "KYCRegistry__RootAlreadyRevoked", 2001)
    chain.reverts(kyc.revokeRoot(2001), issuers, "KYCRegistry__RootAlreadyRevoked", 2001)
    chain.reverts(kyc.revokeRoot(424242), issuers, "KYCRegistry__UnknownRoot", 424242)
    chain.tx(kyc.publishRoot(2002), provider)
    chain.tx(kyc.revokeRoot(2002), issuers)  # emergency revocation by an issuer admin
    assert not kyc.isKnownRoot(2002).call()


def test_roots_of_a_removed_provider_are_unknown(chain: Chain, system: System) -> None:
    provider = chain.accounts[7]
    kyc = system.kyc.functions
    chain.tx(kyc.grantRole(KYC_PROVIDER, provider), system.admin)
    chain.tx(kyc.publishRoot(3001), provider)
    assert kyc.isKnownRoot(3001).call()
    chain.tx(kyc.revokeRole(KYC_PROVIDER, provider), system.admin)
    assert not kyc.isKnownRoot(3001).call()
    assert kyc.rootTimestamp(3001).call() > 0  # history is kept


def test_deny_list_stores_codes_and_hash(
    chain: Chain, system: System, roles: dict[str, str]
) -> None:
    codes = [408, 364, 760, 0, 0, 0, 0, 0]
    digest = zkapp.poseidon(codes)
    kyc = system.kyc.functions
    receipt = chain.tx(kyc.setDenyList(codes, digest), roles["policy"])
    (event,) = chain.events(system.kyc, "DenyListUpdated", receipt)
    assert list(event.args.codes) == codes and event.args.denyListHash == digest
    assert kyc.denyList().call() == [codes, digest]
    assert kyc.denyListHash().call() == digest


@pytest.mark.parametrize(
    ("codes", "digest", "error", "arg"),
    [
        ([1000, 0, 0, 0, 0, 0, 0, 0], 7, "KYCRegistry__InvalidJurisdictionCode", 1000),
        ([408, 364, 408, 0, 0, 0, 0, 0], 7, "KYCRegistry__InvalidJurisdictionCode", 408),
        ([408, 0, 0, 0, 0, 0, 0, 0], 0, "KYCRegistry__InvalidDenyListHash", 0),
        ([408, 0, 0, 0, 0, 0, 0, 0], R, "KYCRegistry__InvalidDenyListHash", R),
    ],
)
def test_deny_list_validation(
    chain: Chain,
    system: System,
    roles: dict[str, str],
    codes: list[int],
    digest: int,
    error: str,
    arg: int,
) -> None:
    chain.reverts(system.kyc.functions.setDenyList(codes, digest), roles["policy"], error, arg)


def test_issuer_add_rotate_revoke(chain: Chain, system: System, roles: dict[str, str]) -> None:
    admin = roles["issuers"]
    kyc = system.kyc.functions
    receipt = chain.tx(kyc.addIssuer(2, *KEY_A), admin)
    (event,) = chain.events(system.kyc, "IssuerAdded", receipt)
    assert (event.args.credType, event.args.ax, event.args.ay) == (2, *KEY_A)
    assert event.args.keyId == kyc.issuerKeyId(2, *KEY_A).call()
    assert kyc.isTrustedIssuer(2, *KEY_A).call()
    assert not kyc.isTrustedIssuer(3, *KEY_A).call()  # trust is per credential type
    chain.reverts(kyc.addIssuer(2, *KEY_A), admin, "KYCRegistry__IssuerExists", 2, *KEY_A)

    receipt = chain.tx(kyc.rotateIssuer(2, *KEY_A, *KEY_B), admin)
    assert [e.event for e in chain.events(system.kyc, "IssuerRevoked", receipt)] == [
        "IssuerRevoked"
    ]
    (rotated,) = chain.events(system.kyc, "IssuerRotated", receipt)
    assert rotated.args.newKeyId == kyc.issuerKeyId(2, *KEY_B).call()
    assert not kyc.isTrustedIssuer(2, *KEY_A).call()
    assert kyc.isTrustedIssuer(2, *KEY_B).call()

    chain.reverts(kyc.addIssuer(2, *KEY_A), admin, "KYCRegistry__IssuerKeyRetired", 2, *KEY_A)
    chain.reverts(kyc.revokeIssuer(2, *KEY_A), admin, "KYCRegistry__IssuerNotTrusted", 2, *KEY_A)
    chain.reverts(
        kyc.rotateIssuer(2, *KEY_C, *KEY_A), admin, "KYCRegistry__IssuerNotTrusted", 2, *KEY_C
    )
    chain.tx(kyc.revokeIssuer(2, *KEY_B), admin)
    assert not kyc.isTrustedIssuer(2, *KEY_B).call()
    listed = kyc.getIssuers(2).call()
    assert [(k[0], k[1], k[2]) for k in listed] == [(*KEY_A, False), (*KEY_B, False)]
    assert all(k[3] > 0 and k[4] >= k[3] for k in listed)


@pytest.mark.parametrize(
    ("cred_type", "key", "error"),
    [
        (0, KEY_C, "KYCRegistry__InvalidCredentialType"),
        (5, KEY_C, "KYCRegistry__InvalidCredentialType"),
        (1, (KEY_C[0], KEY_C[1] + 1), "KYCRegistry__InvalidIssuerKey"),
        (1, (0, 1), "KYCRegistry__InvalidIssuerKey"),
        (1, (KEY_C[0] + R, KEY_C[1]), "KYCRegistry__InvalidIssuerKey"),
    ],
    ids=["type 0", "type 5", "off curve", "identity point", "non-canonical x"],
)
def test_issuer_key_validation(
    chain: Chain,
    system: System,
    roles: dict[str, str],
    cred_type: int,
    key: tuple[int, int],
    error: str,
) -> None:
    chain.reverts(system.kyc.functions.addIssuer(cred_type, *key), roles["issuers"], error)


def test_a_rotated_provider_key_can_reattest_its_roots(chain: Chain, system: System) -> None:
    """L-4: before the fix, rotating a provider's key made its roots unknown for good (the
    new key got RootExists); an unchanged tree could not be refreshed either."""
    old_key, new_key = chain.accounts[4], chain.accounts[5]
    kyc = system.kyc.functions
    chain.tx(kyc.grantRole(KYC_PROVIDER, old_key), system.admin)
    chain.tx(kyc.publishRoot(4001), old_key)
    history = kyc.rootHistoryLength().call()
    chain.tx(kyc.grantRole(KYC_PROVIDER, new_key), system.admin)
    chain.tx(kyc.revokeRole(KYC_PROVIDER, old_key), system.admin)
    assert not kyc.isKnownRoot(4001).call()

    receipt = chain.tx(kyc.publishRoot(4001), new_key)
    attested_at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert kyc.isKnownRoot(4001).call()
    assert kyc.rootInfo(4001).call() == [new_key, attested_at, False]
    assert kyc.latestRoot(new_key).call() == 4001
    assert kyc.rootHistoryLength().call() == history  # the same root, not a new one
    (event,) = chain.events(system.kyc, "RootPublished", receipt)
    assert (event.args.provider, event.args.root) == (new_key, 4001)

    chain.travel_to(attested_at + 3600)  # an unchanged tree is refreshed by re-attesting
    chain.tx(kyc.publishRoot(4001), new_key)
    assert kyc.rootTimestamp(4001).call() >= attested_at + 3600
    chain.tx(kyc.revokeRoot(4001), new_key)
    chain.reverts(kyc.publishRoot(4001), new_key, "KYCRegistry__RootAlreadyRevoked", 4001)
