"""Shared suite: idempotency keys under repeats, conflicts and concurrent requests."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.unit.store.backends import StoreBackend
from zkredit.store.columns import utcnow
from zkredit.store.errors import IdempotencyError
from zkredit.store.idempotency import Claim, IdempotencyStore, request_hash

ROUTE = "POST /transfers"
BODY = request_hash("POST", "/transfers", b'{"quote":"Q1"}')
OTHER_BODY = request_hash("POST", "/transfers", b'{"quote":"Q2"}')


class IdempotencySuite:
    """Every backend must pass these."""

    @pytest.fixture
    def keys(self, backend: StoreBackend) -> IdempotencyStore:
        return IdempotencyStore(backend.open("remittance"))

    def test_new_in_progress_then_replay(self, keys: IdempotencyStore) -> None:
        assert keys.begin("k1", ROUTE, BODY).claim is Claim.NEW
        assert keys.begin("k1", ROUTE, BODY).claim is Claim.IN_PROGRESS
        keys.complete("k1", 201, '{"transfer":"T1"}')
        replay = keys.begin("k1", ROUTE, BODY)
        assert (replay.claim, replay.status_code, replay.response_body) == (
            Claim.REPLAY,
            201,
            '{"transfer":"T1"}',
        )

    def test_same_key_different_request_conflicts(self, keys: IdempotencyStore) -> None:
        keys.begin("k1", ROUTE, BODY)
        assert keys.begin("k1", ROUTE, OTHER_BODY).claim is Claim.CONFLICT
        assert keys.begin("k1", "POST /loans", BODY).claim is Claim.CONFLICT
        keys.complete("k1", 201, "{}")
        assert keys.begin("k1", ROUTE, OTHER_BODY).claim is Claim.CONFLICT

    def test_complete_needs_an_open_claim(self, keys: IdempotencyStore) -> None:
        with pytest.raises(IdempotencyError):
            keys.complete("never", 200, "{}")
        keys.begin("k1", ROUTE, BODY)
        keys.complete("k1", 200, "{}")
        with pytest.raises(IdempotencyError):
            keys.complete("k1", 500, "{}")

    def test_release_lets_a_retry_run(self, keys: IdempotencyStore) -> None:
        keys.begin("k1", ROUTE, BODY)
        keys.release("k1")
        assert keys.begin("k1", ROUTE, BODY).claim is Claim.NEW

    def test_purge_drops_old_completed_keys_only(self, keys: IdempotencyStore) -> None:
        keys.begin("done", ROUTE, BODY)
        keys.complete("done", 200, "{}")
        keys.begin("open", ROUTE, BODY)
        assert keys.purge(utcnow() + timedelta(seconds=1)) == 1
        assert keys.begin("open", ROUTE, BODY).claim is Claim.IN_PROGRESS
        assert keys.begin("done", ROUTE, BODY).claim is Claim.NEW

    def test_concurrent_requests_get_exactly_one_new(
        self, backend: StoreBackend, keys: IdempotencyStore
    ) -> None:
        stores = [keys, IdempotencyStore(backend.reopen(keys.db))] * 4
        claims: list[Claim] = []
        barrier = threading.Barrier(len(stores))

        def request(store: IdempotencyStore) -> None:
            barrier.wait()
            claims.append(store.begin("race", ROUTE, BODY).claim)

        threads = [threading.Thread(target=request, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(claims) == sorted([Claim.NEW] + [Claim.IN_PROGRESS] * 7)

    def test_request_hash_separates_its_parts(self) -> None:
        assert request_hash("post", "/a", b"b") == request_hash("POST", "/a", b"b")
        assert request_hash("POST", "/ab", b"") != request_hash("POST", "/a", b"b")
