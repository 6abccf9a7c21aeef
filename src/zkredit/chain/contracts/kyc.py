"""ERC8004KYCRegistry: KYC roots, the jurisdiction deny-set and trusted issuer keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from web3.types import TxReceipt

from zkredit.chain.client import Sender
from zkredit.chain.contracts.base import AccessControlled, role

KYC_PROVIDER_ROLE = role("KYC_PROVIDER_ROLE")
ISSUER_ADMIN_ROLE = role("ISSUER_ADMIN_ROLE")
POLICY_ADMIN_ROLE = role("POLICY_ADMIN_ROLE")


@dataclass(frozen=True)
class RootInfo:
    """A KYC root's record: its (latest) provider, publication time (0: never), revocation."""

    provider: str
    published_at: int
    revoked: bool


class KycRegistry(AccessControlled):
    """Also a :class:`zkredit.issuers.registry.RootPublisher` (``publish_root``)."""

    artifact = "ERC8004KYCRegistry"

    # -- roots -----------------------------------------------------------------------

    def publish_root(self, root: int, sender: Sender | None = None) -> str:
        """Publish ``root`` as the sender's latest; returns the transaction hash. An already
        published, unrevoked root is re-attested (the sender becomes its provider, now)."""
        receipt = self._send(self.fn.publishRoot(root), sender)
        return receipt["transactionHash"].to_0x_hex()

    def revoke_root(self, root: int, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.revokeRoot(root), sender)

    def root_info(self, root: int) -> RootInfo:
        """Who (last) published ``root``, when (0: never), and whether it was revoked."""
        provider, published_at, revoked = self._call(self.fn.rootInfo(root))
        return RootInfo(str(provider), int(published_at), bool(revoked))

    def invalidate_root_attestations(self, root: int, sender: Sender | None = None) -> TxReceipt:
        """Every attestation recorded until now on the strength of ``root`` stops being valid
        (its publisher or an issuer admin)."""
        return self._send(self.fn.invalidateRootAttestations(root), sender)

    def is_known_root(self, root: int) -> bool:
        return bool(self._call(self.fn.isKnownRoot(root)))

    def root_timestamp(self, root: int) -> int:
        """Publication time of ``root``; 0 if it was never published."""
        return int(self._call(self.fn.rootTimestamp(root)))

    def latest_root(self, provider: str) -> int:
        return int(self._call(self.fn.latestRoot(provider)))

    # -- deny-set ---------------------------------------------------------------------

    def set_deny_list(
        self, codes: Sequence[int], deny_list_hash: int, sender: Sender | None = None
    ) -> TxReceipt:
        return self._send(self.fn.setDenyList(list(codes), deny_list_hash), sender)

    def deny_list(self) -> tuple[tuple[int, ...], int]:
        codes, digest = self._call(self.fn.denyList())
        return tuple(int(c) for c in codes), int(digest)

    def deny_list_hash(self) -> int:
        return int(self._call(self.fn.denyListHash()))

    # -- issuers -----------------------------------------------------------------------

    def add_issuer(
        self, cred_type: int, ax: int, ay: int, sender: Sender | None = None
    ) -> TxReceipt:
        return self._send(self.fn.addIssuer(cred_type, ax, ay), sender)

    def revoke_issuer(
        self, cred_type: int, ax: int, ay: int, sender: Sender | None = None
    ) -> TxReceipt:
        return self._send(self.fn.revokeIssuer(cred_type, ax, ay), sender)

    def invalidate_issuer_attestations(
        self, cred_type: int, ax: int, ay: int, sender: Sender | None = None
    ) -> TxReceipt:
        """Every attestation recorded until now that used this issuer key stops being valid."""
        return self._send(self.fn.invalidateIssuerAttestations(cred_type, ax, ay), sender)

    def is_trusted_issuer(self, cred_type: int, ax: int, ay: int) -> bool:
        return bool(self._call(self.fn.isTrustedIssuer(cred_type, ax, ay)))
