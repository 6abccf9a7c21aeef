"""Shared suite: opening, migrating, pinging and dumping a party's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import IntegrityError

from tests.unit.store.backends import PARTY_KEY, StoreBackend
from zkredit.demo.privacy import leaked
from zkredit.domain.ledger import remittance_funded
from zkredit.domain.money import Money
from zkredit.store.audit import AuditLog
from zkredit.store.db import Database
from zkredit.store.ledger import Ledger
from zkredit.store.models import Base, JobRow, LedgerEntryRow

COMMON_TABLES = {
    "alembic_version",
    "audit_log",
    "audit_anchors",
    "ledger_entries",
    "ledger_postings",
    "idempotency_keys",
    "jobs",
}

PARTY_REVISION = '''
"""A party-specific table, in its own branch, for the migration tests."""
import sqlalchemy as sa
from alembic import op

revision = "testparty_0001"
down_revision = None
branch_labels = ("testparty",)
depends_on = "0001_common"


def upgrade() -> None:
    op.create_table(
        "testparty_vault",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("secret", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("testparty_vault")
'''


class DatabaseSuite:
    """Every backend must pass these."""

    @pytest.fixture
    def db(self, backend: StoreBackend) -> Iterator[Database]:
        yield backend.open("gateway")

    def test_migrate_creates_the_common_tables(self, db: Database) -> None:
        assert set(db.dump_tables()) == COMMON_TABLES
        assert db.current_heads() == ("0001_common",)
        assert db.is_up_to_date()

    def test_migrate_twice_is_a_no_op(self, db: Database) -> None:
        AuditLog(db, PARTY_KEY).append("boot", {"n": 1})
        before = db.dump_tables()
        assert db.migrate() == ("0001_common",)
        assert db.migrate() == ("0001_common",)
        assert db.dump_tables() == before

    def test_a_fresh_database_is_not_up_to_date(self, backend: StoreBackend) -> None:
        db = backend.open("remittance", migrate=False)
        assert db.current_heads() == ()
        assert not db.is_up_to_date()
        db.migrate()
        assert db.is_up_to_date()

    def test_ping_measures_a_round_trip(self, db: Database) -> None:
        assert 0 <= db.ping() < 5

    def test_dump_tables_returns_every_row(self, db: Database) -> None:
        AuditLog(db, PARTY_KEY).append("transfer.quoted", {"transfer": "T1"})
        Ledger(db).post(
            remittance_funded("T1", Money.of(100, "SGD"), Money.of(2, "SGD")), reference="T1"
        )
        dump = db.dump_tables()
        assert [r["kind"] for r in dump["audit_log"]] == ["transfer.quoted"]
        assert dump["ledger_entries"][0]["id"] == "T1:fund"
        assert dump["ledger_entries"][0]["reference"] == "T1"
        assert {(r["side"], r["amount_minor"]) for r in dump["ledger_postings"]} == {
            ("debit", 10_200),
            ("credit", 10_200),
        }
        assert dump["alembic_version"] == [{"version_num": "0001_common"}]

    def test_parties_never_share_rows(self, backend: StoreBackend) -> None:
        worker, credit = backend.open("worker"), backend.open("credit")
        AuditLog(worker, PARTY_KEY).append("vault.stored", {"monthly_income": 75_000_000})
        AuditLog(credit, PARTY_KEY).append("policy.published", {"min_score": 700})
        theirs = credit.dump_tables()
        assert leaked(worker.dump_tables(), ["75000000"]) == ["75000000"]
        assert leaked(theirs, ["75000000"]) == []
        assert len(theirs["audit_log"]) == 1

    def test_a_party_branch_reaches_only_that_party(
        self, backend: StoreBackend, tmp_path: Path
    ) -> None:
        versions = tmp_path / "party_versions"
        versions.mkdir()
        (versions / "testparty_0001_vault.py").write_text(PARTY_REVISION)
        mine, other = backend.open("testparty", migrate=False), backend.open("receiver")
        assert not mine.is_up_to_date(version_locations=[versions])
        # Alembic records the branch tip only: it depends on (so stands for) 0001_common.
        assert mine.migrate(version_locations=[versions]) == ("testparty_0001",)
        assert mine.migrate(version_locations=[versions]) == ("testparty_0001",)
        assert "testparty_vault" in mine.dump_tables()
        assert mine.is_up_to_date(version_locations=[versions])
        other.migrate(version_locations=[versions])
        assert "testparty_vault" not in other.dump_tables()

    def test_jobs_have_defaults_and_unique_dedup_keys(self, db: Database) -> None:
        with db.session() as s:
            s.add(JobRow(kind="prove.bundle", dedup_key="app-1", payload={"circuits": 4}))
        with db.session() as s:
            job = s.scalars(select(JobRow)).one()
            assert (job.status, job.attempts, job.max_attempts, job.result) == (
                "queued",
                0,
                5,
                None,
            )
            assert job.payload == {"circuits": 4} and job.next_run_at.tzinfo is not None
        with pytest.raises(IntegrityError), db.session() as s:
            s.add(JobRow(kind="prove.bundle", dedup_key="app-1", payload={}))

    def test_the_migrations_match_the_models(self, db: Database) -> None:
        with db.engine.connect() as conn:
            if db.schema is not None:  # reflect the party schema as the default one
                conn.execute(text(f'SET LOCAL search_path TO "{db.schema}"'))
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            # Only the common tables: agent tables live in their own party branches.
            common = MetaData()
            for table in Base.metadata.sorted_tables:
                if table.name in COMMON_TABLES:
                    table.to_metadata(common)
            assert compare_metadata(context, common) == []
            conn.rollback()

    def test_a_session_rolls_back_when_the_block_raises(self, db: Database) -> None:
        with pytest.raises(RuntimeError), db.session() as s:
            s.add(LedgerEntryRow(id="E1", memo="never committed"))
            s.flush()
            raise RuntimeError("boom")
        with db.session() as s:
            assert s.scalars(select(LedgerEntryRow)).all() == []
