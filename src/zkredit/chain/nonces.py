"""Nonces for concurrent senders.

Asking the node for ``eth_getTransactionCount(address, "pending")`` before every
transaction races when two threads send from one account: both read the same
count and one transaction is rejected or replaces the other. The manager reads
the count once per account, then hands out consecutive nonces under a lock that
is held from choosing the nonce until the node has accepted the transaction, so
transactions also reach the node in nonce order. If the node rejects one, the
account is re-read from the node on its next use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class NonceManager:
    """Hands out nonces per account; thread-safe."""

    def __init__(self, fetch: Callable[[str], int]) -> None:
        self._fetch = fetch
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._next: dict[str, int] = {}

    def _lock_for(self, address: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(address.lower(), threading.Lock())

    @contextmanager
    def reserve(self, address: str) -> Iterator[int]:
        """Yield the next nonce of ``address``; it is consumed only if the block exits
        normally (the node accepted the transaction)."""
        key = address.lower()
        with self._lock_for(key):
            nonce = self._next.get(key)
            if nonce is None:
                nonce = self._fetch(address)
            try:
                yield nonce
            except BaseException:
                self._next.pop(key, None)  # unknown state: ask the node next time
                raise
            self._next[key] = nonce + 1

    def forget(self, address: str) -> None:
        """Drop the cached nonce of ``address`` (after sending from it elsewhere)."""
        with self._lock_for(address):
            self._next.pop(address.lower(), None)
