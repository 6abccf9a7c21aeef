"""What the remittance agent trusts when it checks an identity proof.

:class:`TrustView` is the seam: KYC issuer keys, published KYC roots and the
jurisdiction deny-set hash. :class:`JsonTrustView` reads them from a JSON object
the deployment writes; a chain-backed view (the registries) has the same three
methods, so the credit agent's chain view already fits.

The JSON form::

    {
      "issuers": [{"type": 4, "ax": "<decimal>", "ay": "<decimal>"}],
      "kyc_roots": [{"root": "<decimal>", "published_at": 1795000000, "revoked": false}],
      "denied_jurisdictions": [408, 364, 760, 192, 0, 0, 0, 0]
    }

``denied_jurisdictions`` may be replaced by ``"deny_list_hash": "<decimal>"``;
when both are absent the default deny-set of :mod:`zkredit.domain.policy` applies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from zkredit.domain.policy import DEFAULT_DENIED_JURISDICTIONS
from zkredit.errors import ConfigurationError
from zkredit.zk.statements import deny_list_hash

KYC_CREDENTIAL_TYPE = 4


class TrustView(Protocol):
    """Issuer keys, KYC roots and the deny-set the verifier accepts."""

    def is_trusted_issuer(self, cred_type: int, ax: int, ay: int) -> bool:
        """Whether the BabyJubJub key ``(ax, ay)`` is trusted for ``cred_type``."""
        ...

    def root_published_at(self, root: int) -> int | None:
        """Unix time ``root`` was published, or ``None`` when unknown or revoked."""
        ...

    def deny_list_hash(self) -> int:
        """Poseidon hash of the 8-slot jurisdiction deny-set proofs must commit to."""
        ...


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigurationError(f"trust config: {where} must be an integer or a decimal string")
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(
            f"trust config: {where} must be a decimal integer. Got {value!r}"
        ) from None


@dataclass(frozen=True)
class JsonTrustView:
    """A :class:`TrustView` over a fixed configuration (see the module docstring)."""

    issuers: frozenset[tuple[int, int, int]] = frozenset()
    roots: Mapping[int, int] = field(default_factory=dict)
    deny_hash: int = 0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JsonTrustView:
        """Parse the configuration object; raise :class:`ConfigurationError` naming the field."""
        if not isinstance(config, Mapping):
            raise ConfigurationError("trust config must be a JSON object")
        issuers = set()
        for i, item in enumerate(config.get("issuers", [])):
            where = f"issuers[{i}]"
            if not isinstance(item, Mapping):
                raise ConfigurationError(f"trust config: {where} must be an object")
            issuers.add(
                (
                    _int(item.get("type", KYC_CREDENTIAL_TYPE), f"{where}.type"),
                    _int(item.get("ax"), f"{where}.ax"),
                    _int(item.get("ay"), f"{where}.ay"),
                )
            )
        roots: dict[int, int] = {}
        for i, item in enumerate(config.get("kyc_roots", [])):
            where = f"kyc_roots[{i}]"
            if not isinstance(item, Mapping):
                raise ConfigurationError(f"trust config: {where} must be an object")
            if item.get("revoked", False):
                continue
            roots[_int(item.get("root"), f"{where}.root")] = _int(
                item.get("published_at"), f"{where}.published_at"
            )
        if "deny_list_hash" in config:
            deny = _int(config["deny_list_hash"], "deny_list_hash")
        else:
            denied = config.get("denied_jurisdictions", list(DEFAULT_DENIED_JURISDICTIONS))
            if not isinstance(denied, list):
                raise ConfigurationError("trust config: denied_jurisdictions must be a list")
            codes = tuple(_int(c, f"denied_jurisdictions[{i}]") for i, c in enumerate(denied))
            if len(codes) != 8:
                raise ConfigurationError(
                    f"trust config: denied_jurisdictions has 8 slots (0 = unused). Got {len(codes)}"
                )
            deny = deny_list_hash(codes)
        return cls(frozenset(issuers), roots, deny)

    @classmethod
    def from_file(cls, path: Path) -> JsonTrustView:
        """Read the configuration from a JSON file."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"cannot read the trust config {path}: {exc}") from None
        return cls.from_config(data)

    def is_trusted_issuer(self, cred_type: int, ax: int, ay: int) -> bool:
        return (cred_type, ax, ay) in self.issuers

    def root_published_at(self, root: int) -> int | None:
        return self.roots.get(root)

    def deny_list_hash(self) -> int:
        return self.deny_hash
