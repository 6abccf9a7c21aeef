"""The deny-list of private field names, redaction, and the live privacy audit.

The first line of defence is the design: private values stay in the worker's
vault and only proofs leave it. This module is the second line:

* :func:`redact` replaces the value of any field on the deny-list (the circuits'
  private signal names, and secrets in general) by a keyed hash before it is
  logged or put on a span. The key is random per process, so equal values still
  correlate in one process's logs but a low-entropy value (an income) cannot be
  recovered by hashing candidates.
* :class:`PrivacyAudit` is what ``zk_privacy_score`` reports: every inbound
  agent message, structured log record and span attribute set is inspected for
  deny-listed field names; the score is the percentage of the last
  ``window`` inspections that carried none. 100 means nothing private was seen;
  a drop means some code tried to move a private field and should be read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

PRIVATE_FIELDS = frozenset({
    # the circuits' private inputs (circuits/circuits.json "private"), less "income",
    # which is also a circuit's name (proof bundles are keyed by circuit)
    "identitysecret", "employmentstartmonth", "assetvalue", "assettype", "lienflag",
    "valuationday", "score", "historymonths", "defaults", "latepayments", "debtratiobps",
    "birthdate", "jurisdiction", "pathelements", "pathindices", "deniedjurisdictions",
    # the same values under the names the product and scenarios use
    "monthlyincome", "monthlyincomeminor", "incomeminor", "collateralminor",
    "collateralvalue", "creditscore", "debtratio", "monthsemployed", "membership",
})
"""Normalised (lower case, no ``_``/``-``) names whose values are private."""

SECRET_SUFFIXES = ("secret", "password", "privatekey", "mnemonic", "encryptionkey", "apikey")
"""A name ending in one of these is a secret whatever comes before (``webhook_secret``)."""

_SEPARATORS = re.compile(r"[_\-\s.]")
_HASH_KEY = secrets.token_bytes(32)
_MAX_DEPTH = 6


def normalise(name: str) -> str:
    return _SEPARATORS.sub("", name).lower()


def is_private(name: str) -> bool:
    """Whether a field called ``name`` holds a private value or a secret."""
    n = normalise(name)
    return n in PRIVATE_FIELDS or n.endswith(SECRET_SUFFIXES)


def keyed_hash(value: Any) -> str:
    digest = hmac.new(_HASH_KEY, repr(value).encode(), hashlib.sha256).hexdigest()
    return f"redacted:{digest[:12]}"


def private_keys(value: Any, depth: int = 0) -> list[str]:
    """The deny-listed field names anywhere in ``value`` (nested mappings and lists)."""
    if depth > _MAX_DEPTH:
        return []
    found: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and is_private(k):
                found.append(k)
            else:
                found.extend(private_keys(v, depth + 1))
    elif isinstance(value, (list, tuple)):
        for v in value:
            found.extend(private_keys(v, depth + 1))
    return found


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` whose deny-listed fields hold keyed hashes instead."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {
            k: keyed_hash(v) if isinstance(k, str) and is_private(k) else redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, depth + 1) for v in value]
    return value


class PrivacyAudit:
    """A sliding window over the last ``window`` inspections, by source."""

    SOURCES = ("message", "log", "span")

    def __init__(self, window: int = 1000) -> None:
        self._recent: deque[bool] = deque(maxlen=window)
        self._lock = threading.Lock()

    def record(self, flagged: bool) -> None:
        with self._lock:
            self._recent.append(flagged)

    def score(self) -> float:
        """Percent of recent inspections that carried no private field (100 when none)."""
        with self._lock:
            seen = len(self._recent)
            bad = sum(self._recent)
        return 100.0 if seen == 0 else 100.0 * (seen - bad) / seen


def fields_of(attributes: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return dict(attributes.items() if isinstance(attributes, Mapping) else attributes)
