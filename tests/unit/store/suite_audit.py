"""Shared suite: the hash-chained audit log, its tamper table, concurrency and anchors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import delete, update

from tests.unit.store.backends import ATTACKER_KEY, PARTY_KEY, StoreBackend, invoke_cli
from zkredit.cli.output import ExitStatus
from zkredit.errors import InputError
from zkredit.store.audit import AuditLog
from zkredit.store.auditchain import (
    GENESIS,
    BreakReason,
    canonical_json,
    entry_hash,
    sign_hash,
    to_hex,
)
from zkredit.store.db import Database
from zkredit.store.errors import AnchorMismatch, AuditChainBroken, AuditSignerMissing
from zkredit.store.models import AnchorRow, AuditRow

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TRUSTED = {"credit": PARTY_KEY.address}


class Ticking:
    """A clock that advances one second per reading."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class FakeAnchorer:
    """Records what would have been written on chain."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, int]] = []

    def anchor(self, head_hash: bytes, entry_count: int) -> str:
        self.calls.append((head_hash, entry_count))
        return "0x" + f"{len(self.calls):064x}"

    def anchored(self, head_hash: bytes, entry_count: int) -> str | None:
        for i, call in enumerate(self.calls, 1):
            if call == (head_hash, entry_count):
                return "0x" + f"{i:064x}"
        return None


def _set(db: Database, seq: int, **values: object) -> None:
    with db.session() as s:
        s.execute(update(AuditRow).where(AuditRow.seq == seq).values(**values))


def _delete(db: Database, *seqs: int) -> None:
    with db.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq.in_(seqs)))


def _forge(db: Database, seq: int, *, signed_by: LocalAccount, claim: str | None = None) -> None:
    """Append a well-linked, well-hashed row signed by ``signed_by``."""
    head = AuditLog(db).head()
    prev = head.entry_hash if head else GENESIS
    payload = canonical_json({"forged": True})
    created = T0 + timedelta(days=1)
    digest = entry_hash(seq, prev, "credit", "payout.approved", payload, created)
    with db.session() as s:
        s.add(
            AuditRow(
                seq=seq,
                created_at=created,
                actor="credit",
                kind="payout.approved",
                payload=payload,
                prev_hash=to_hex(prev),
                entry_hash=to_hex(digest),
                signature=to_hex(sign_hash(signed_by, digest)),
                signer=claim or signed_by.address,
            )
        )


def _rewrite_from(db: Database, seq: int) -> None:
    """An insider with the party key rewrites history from ``seq`` on, consistently."""
    head = AuditLog(db).head()
    assert head is not None
    _delete(db, *range(seq, head.seq + 1))
    log = AuditLog(db, PARTY_KEY, clock=Ticking(T0 + timedelta(hours=1)))
    for n in range(seq, head.seq + 1):
        log.append("rewritten", {"n": n})


@dataclass(frozen=True)
class Tamper:
    name: str
    apply: Callable[[Database], None]
    seq: int
    reason: BreakReason


TAMPERS = [
    Tamper("payload", lambda db: _set(db, 3, payload='{"amount":1}'), 3, BreakReason.HASH_MISMATCH),
    Tamper("kind", lambda db: _set(db, 4, kind="loan.waived"), 4, BreakReason.HASH_MISMATCH),
    Tamper("actor", lambda db: _set(db, 2, actor="worker"), 2, BreakReason.HASH_MISMATCH),
    Tamper(
        "created_at",
        lambda db: _set(db, 2, created_at=T0 - timedelta(days=3)),
        2,
        BreakReason.HASH_MISMATCH,
    ),
    Tamper(
        "entry_hash",
        lambda db: _set(db, 3, entry_hash="0x" + "ab" * 32),
        3,
        BreakReason.HASH_MISMATCH,
    ),
    Tamper(
        "prev_hash",
        lambda db: _set(db, 3, prev_hash="0x" + "cd" * 32),
        3,
        BreakReason.PREV_MISMATCH,
    ),
    Tamper(
        "signature swapped",
        lambda db: _set(
            db, 3, signature=to_hex(AuditLog(db).entries(after=1, limit=1)[0].signature)
        ),
        3,
        BreakReason.BAD_SIGNATURE,
    ),
    Tamper(
        "signature garbage", lambda db: _set(db, 2, signature="0x00"), 2, BreakReason.BAD_SIGNATURE
    ),
    Tamper(
        "signer field",
        lambda db: _set(db, 4, signer=ATTACKER_KEY.address),
        4,
        BreakReason.BAD_SIGNATURE,
    ),
    Tamper("middle row deleted", lambda db: _delete(db, 3), 3, BreakReason.SEQ_GAP),
    Tamper("first row deleted", lambda db: _delete(db, 1), 1, BreakReason.SEQ_GAP),
    Tamper("last row deleted", lambda db: _delete(db, 5), 5, BreakReason.ANCHOR_MISMATCH),
    Tamper(
        "forged row, attacker key",
        lambda db: _forge(db, 6, signed_by=ATTACKER_KEY),
        6,
        BreakReason.UNKNOWN_SIGNER,
    ),
    Tamper(
        "forged row claiming the party key",
        lambda db: _forge(db, 6, signed_by=ATTACKER_KEY, claim=PARTY_KEY.address),
        6,
        BreakReason.BAD_SIGNATURE,
    ),
    Tamper(
        "forged row after a gap",
        lambda db: _forge(db, 7, signed_by=PARTY_KEY),
        6,
        BreakReason.SEQ_GAP,
    ),
    Tamper(
        "history rewritten by an insider",
        lambda db: _rewrite_from(db, 2),
        3,
        BreakReason.ANCHOR_MISMATCH,
    ),
    Tamper(
        "anchor row edited",
        lambda db: _set_anchor(db, 5, head_hash="0x" + "ef" * 32),
        5,
        BreakReason.ANCHOR_MISMATCH,
    ),
]


def _set_anchor(db: Database, count: int, **values: object) -> None:
    with db.session() as s:
        s.execute(update(AnchorRow).where(AnchorRow.entry_count == count).values(**values))


class AuditSuite:
    """Every backend must pass these."""

    @pytest.fixture
    def db(self, backend: StoreBackend) -> Database:
        return backend.open("credit")

    @pytest.fixture
    def log(self, db: Database) -> AuditLog:
        return AuditLog(db, PARTY_KEY, clock=Ticking())

    @pytest.fixture
    def chained(self, log: AuditLog) -> AuditLog:
        """Five entries, anchored at 3 and at 5: the tamper baseline."""
        for n in range(1, 6):
            log.append("loan.step", {"n": n, "amount": {"minor": 250_000_000 + n, "ccy": "NGN"}})
            if n in (3, 5):
                head = log.head()
                assert head is not None
                log.record_anchor(head.entry_hash, head.seq, f"0x{n:064x}", 1337)
        return log

    def test_an_empty_log_verifies(self, log: AuditLog) -> None:
        report = log.verify(TRUSTED)
        assert report.ok and report.entry_count == 0 and report.head_hash == GENESIS
        assert log.head() is None

    def test_appends_form_a_signed_chain(self, log: AuditLog) -> None:
        first = log.append("quote.created", {"transfer": "T1", "fee": {"minor": 120}})
        second = log.append("quote.accepted", {"transfer": "T1"})
        assert (first.seq, second.seq) == (1, 2)
        assert first.prev_hash == GENESIS and second.prev_hash == first.entry_hash
        assert first.signer == PARTY_KEY.address and first.actor == "credit"
        assert second.data() == {"transfer": "T1"}
        assert log.head() == second
        assert log.entries() == [first, second]
        report = log.verify(TRUSTED)
        assert report.ok and report.entry_count == 2 and report.head_hash == second.entry_hash

    def test_the_baseline_verifies(self, chained: AuditLog) -> None:
        report = chained.verify(TRUSTED)
        assert report.ok, report.first_break
        assert (report.entry_count, report.anchors_checked) == (5, 2)

    @pytest.mark.parametrize("tamper", TAMPERS, ids=[t.name for t in TAMPERS])
    def test_verify_reports_the_first_broken_link(self, chained: AuditLog, tamper: Tamper) -> None:
        tamper.apply(chained.db)
        report = chained.verify(TRUSTED)
        assert report.first_break is not None, "tampering went unnoticed"
        assert (report.first_break.seq, report.first_break.reason) == (tamper.seq, tamper.reason)
        assert not report.ok

    def test_untrusted_and_unknown_signers_are_reported(self, chained: AuditLog) -> None:
        wrong = chained.verify({"credit": ATTACKER_KEY.address}).first_break
        assert wrong is not None and (wrong.seq, wrong.reason) == (1, BreakReason.UNKNOWN_SIGNER)
        missing = chained.verify({"worker": PARTY_KEY.address}).first_break
        assert missing is not None and missing.reason is BreakReason.UNKNOWN_SIGNER
        assert "no trusted key for party 'credit'" in missing.detail
        assert chained.verify().ok  # without a trust list only self-consistency is checked

    def test_append_needs_a_signing_key(self, db: Database) -> None:
        with pytest.raises(AuditSignerMissing):
            AuditLog(db).append("x", {})

    def test_payloads_must_be_json(self, log: AuditLog) -> None:
        with pytest.raises(InputError):
            log.append("x", {"nan": float("nan")})
        with pytest.raises(InputError):
            log.append("x", {"when": T0})
        assert log.head() is None

    def test_concurrent_appends_keep_one_chain(self, backend: StoreBackend, db: Database) -> None:
        # Two Database objects on the same storage: two pools, as two processes would have.
        twin = backend.reopen(db)
        writers = [AuditLog(d, PARTY_KEY) for d in (db, twin, db, twin)]
        failures: list[BaseException] = []

        def work(log: AuditLog, who: int) -> None:
            try:
                for n in range(8):
                    log.append("concurrent", {"writer": who, "n": n})
            except BaseException as exc:  # reported by the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(w, i)) for i, w in enumerate(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        report = AuditLog(db).verify(TRUSTED)
        assert report.ok and report.entry_count == 32
        assert [e.seq for e in AuditLog(twin).entries(limit=100)] == list(range(1, 33))

    def test_pending_anchor_by_count_and_by_age(self, log: AuditLog) -> None:
        assert not log.pending_anchor(every_n=3, every_seconds=60, now=T0)
        first = log.append("a", {})
        log.append("b", {})
        assert not log.pending_anchor(every_n=3, every_seconds=60, now=first.created_at)
        assert log.pending_anchor(
            every_n=3, every_seconds=60, now=first.created_at + timedelta(seconds=60)
        )
        third = log.append("c", {})
        assert log.pending_anchor(every_n=3, every_seconds=60, now=first.created_at)
        log.record_anchor(third.entry_hash, 3, "0x" + "01" * 32, 1337)
        assert not log.pending_anchor(every_n=1, every_seconds=0, now=T0 + timedelta(days=1))
        log.append("d", {})
        assert log.pending_anchor(every_n=1, every_seconds=3600, now=T0)

    def test_record_anchor_refuses_a_head_the_log_does_not_hold(self, chained: AuditLog) -> None:
        head = chained.head()
        assert head is not None
        with pytest.raises(AnchorMismatch):
            chained.record_anchor(head.entry_hash, 4, "0x1", 1337)
        with pytest.raises(AnchorMismatch):
            chained.record_anchor(head.entry_hash, 6, "0x1", 1337)

    def test_an_anchor_sent_but_not_recorded_is_recovered_not_resent(self, log: AuditLog
                                                                     ) -> None:
        """An attempt that anchored and died before recording it: the retry must not send
        the same count again (the contract refuses it, so the job would fail for ever)."""
        anchorer = FakeAnchorer()
        log.append("a", {})
        head = log.append("b", {})
        sent = anchorer.anchor(head.entry_hash, 2)  # the dead attempt's transaction
        record = log.anchor_head(anchorer, chain_id=1337)
        assert record is not None and record.tx_hash == sent
        assert anchorer.calls == [(head.entry_hash, 2)]  # nothing sent twice

    def test_anchor_head_goes_through_the_anchorer_once(self, log: AuditLog) -> None:
        anchorer = FakeAnchorer()
        assert log.anchor_head(anchorer, chain_id=1337) is None
        log.append("a", {})
        head = log.append("b", {})
        record = log.anchor_head(anchorer, chain_id=1337)
        assert record is not None and record.entry_count == 2
        assert anchorer.calls == [(head.entry_hash, 2)]
        assert log.anchor_head(anchorer, chain_id=1337) is None
        assert [a.tx_hash for a in log.anchors()] == [record.tx_hash]
        assert log.verify(TRUSTED).anchors_checked == 1

    def test_cli_verify_names_the_broken_seq(
        self, backend: StoreBackend, chained: AuditLog
    ) -> None:
        _set(chained.db, 3, payload='{"amount":1}')
        args = ["audit", "verify", "--party", "credit", *backend.cli_args(chained.db)]
        code, error, _ = invoke_cli(*args)
        assert code == ExitStatus.INTEGRITY_FAILED and isinstance(error, AuditChainBroken)
        assert "broken at seq 3: hash mismatch" in str(error)

    def test_cli_verify_prints_ok_with_count_and_head(
        self, backend: StoreBackend, chained: AuditLog
    ) -> None:
        head = chained.head()
        assert head is not None
        trust = ["--trust", f"credit={PARTY_KEY.address}"]
        code, error, out = invoke_cli(
            "audit", "verify", "--party", "credit", *backend.cli_args(chained.db), *trust
        )
        assert (code, error) == (0, None), out
        out = " ".join(out.split())  # Rich wraps long lines to the terminal width
        assert "OK" in out and "5 entries" in out and "2 anchor(s) matched" in out
        assert to_hex(head.entry_hash) in out
