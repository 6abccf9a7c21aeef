"""Audit anchor: append-only heads of the hash-chained audit log."""

from __future__ import annotations

from .chain import Chain, System, role

ANCHOR = role("ANCHOR_ROLE")


def test_anchor_history_and_lookup(chain: Chain, system: System) -> None:
    a = system.anchor.functions
    anchorer = chain.accounts[1]
    chain.tx(a.grantRole(ANCHOR, anchorer), system.admin)
    chain.reverts(a.latest(), anchorer, "AuditAnchor__NoAnchor", 0)
    h1, h2 = b"\x01" * 32, b"\x02" * 32
    receipt = chain.tx(a.anchor(h1, 10), anchorer)
    (event,) = chain.events(system.anchor, "Anchored", receipt)
    assert (
        event.args.index,
        event.args.headHash,
        event.args.entryCount,
        event.args.anchoredBy,
    ) == (0, h1, 10, anchorer)
    chain.tx(a.anchor(h2, 25), anchorer)
    assert a.anchorCount().call() == 2
    latest = a.latest().call()
    assert tuple(latest[:2]) == (h2, 25) and latest[4] == anchorer
    assert tuple(a.anchorAt(0).call()[:2]) == (h1, 10)
    assert a.findAnchor(h1).call() == [True, 0]
    assert a.findAnchor(b"\x03" * 32).call() == [False, 0]
    chain.reverts(a.anchorAt(2), anchorer, "AuditAnchor__NoAnchor", 2)


def test_anchor_rules(chain: Chain, system: System) -> None:
    a = system.anchor.functions
    anchorer, stranger = chain.accounts[1], chain.accounts[9]
    chain.reverts(
        a.anchor(b"\x05" * 32, 99), stranger, "AccessControlUnauthorizedAccount", stranger, ANCHOR
    )
    chain.reverts(a.anchor(b"\x00" * 32, 99), anchorer, "AuditAnchor__ZeroHeadHash")
    chain.reverts(a.anchor(b"\x05" * 32, 25), anchorer, "AuditAnchor__CountNotIncreasing", 25, 25)
    chain.reverts(a.anchor(b"\x05" * 32, 3), anchorer, "AuditAnchor__CountNotIncreasing", 25, 3)
