"""Shared suite: idempotency keys under repeats, conflicts and concurrent requests."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from tests.unit.store.backends import StoreBackend
from zkredit.store.columns import utcnow
from zkredit.store.errors import IdempotencyError
from zkredit.store.idempotency import Claim, IdempotencyStore, request_hash

ROUTE = "POST /transfers"
BODY = request_hash("POST", "/transfers", b'{"quote":"Q1"}')
OTHER_BODY = request_hash("POST", "/transfers", b'{"quote":"Q2"}')


class IdempotencyBasicsSuite:
    """Claims, replays, conflicts and races."""

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


class MovableClock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


class IdempotencyLeaseSuite:
    """F27: a claim cut off by a crash expires; it does not answer 'in progress' forever."""

    LEASE = timedelta(seconds=30)

    @pytest.fixture
    def clock(self) -> MovableClock:
        return MovableClock()

    @pytest.fixture
    def leased(self, backend: StoreBackend, clock: MovableClock) -> IdempotencyStore:
        return IdempotencyStore(backend.open("remittance"), lease=self.LEASE, clock=clock)

    def test_an_abandoned_claim_is_taken_over_once_its_lease_ends(
        self, leased: IdempotencyStore, clock: MovableClock
    ) -> None:
        assert leased.begin("k1", ROUTE, BODY).claim is Claim.NEW  # ...and the process dies
        clock.now += self.LEASE - timedelta(seconds=1)
        assert leased.begin("k1", ROUTE, BODY).claim is Claim.IN_PROGRESS
        clock.now += timedelta(seconds=2)
        assert leased.begin("k1", ROUTE, BODY).claim is Claim.NEW
        # the retry holds a fresh lease of its own
        assert leased.begin("k1", ROUTE, BODY).claim is Claim.IN_PROGRESS
        leased.complete("k1", 200, '{"transfer":"T1"}')
        clock.now += self.LEASE * 10
        assert leased.begin("k1", ROUTE, BODY).claim is Claim.REPLAY

    def test_an_expired_claim_is_still_no_licence_for_a_different_request(
        self, leased: IdempotencyStore, clock: MovableClock
    ) -> None:
        leased.begin("k1", ROUTE, BODY)
        clock.now += self.LEASE * 2
        assert leased.begin("k1", ROUTE, OTHER_BODY).claim is Claim.CONFLICT

    def test_concurrent_retries_of_an_expired_claim_take_it_over_once(
        self, backend: StoreBackend, leased: IdempotencyStore, clock: MovableClock
    ) -> None:
        leased.begin("race", ROUTE, BODY)
        clock.now += self.LEASE * 2
        other = IdempotencyStore(backend.reopen(leased.db), lease=self.LEASE, clock=clock)
        stores = [leased, other] * 4
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
        assert sorted(claims) == sorted([Claim.NEW] + [Claim.IN_PROGRESS] * (len(stores) - 1))


class IdempotencySuite(IdempotencyBasicsSuite, IdempotencyLeaseSuite):
    """Every backend must pass these."""
