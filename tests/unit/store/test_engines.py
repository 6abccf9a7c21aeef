"""Choosing and building engines: URLs, party names, unreachable servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from zkredit.errors import ConfigurationError, InputError
from zkredit.store.db import Database
from zkredit.store.engines import check_party, postgres_url
from zkredit.store.errors import DatabaseUnavailable, UnsupportedDatabaseURL


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db:5432/zk",
        "postgres://u:p@db:5432/zk",
        "postgresql+psycopg://u:p@db:5432/zk",
    ],
)
def test_postgres_urls_use_psycopg3(url: str) -> None:
    parsed = postgres_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.database, parsed.password) == ("db", "zk", "p")


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "postgresql+asyncpg://u@h/db", "sqlite:///x.db", "not a url"]
)
def test_other_databases_are_refused_with_a_hint(url: str) -> None:
    with pytest.raises(UnsupportedDatabaseURL) as info:
        postgres_url(url)
    assert isinstance(info.value, ConfigurationError) and info.value.hint


@pytest.mark.parametrize("name", ["worker", "credit", "zkt_0a1b_credit"])
def test_party_names(name: str) -> None:
    assert check_party(name) == name


@pytest.mark.parametrize("name", ["", "Worker", "../etc", "a-b", "1st", "x" * 49, 'a"b'])
def test_bad_party_names_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="invalid party name"):
        check_party(name)


def test_open_builds_without_connecting_and_hides_the_password(tmp_path: Path) -> None:
    db = Database.open("credit", "postgresql://zk:s3cret@127.0.0.1:1/zk", tmp_path)
    assert db.schema == "credit" and db.dialect == "postgresql"
    assert "s3cret" not in db.where and "s3cret" not in repr(db)
    with pytest.raises(DatabaseUnavailable, match="cannot reach the database of party 'credit'"):
        db.ping()
    db.dispose()


def test_a_schema_can_be_chosen(tmp_path: Path) -> None:
    db = Database.open("credit", "postgresql://h/zk", tmp_path, schema="tenant_a_credit")
    assert db.schema == "tenant_a_credit"
    with pytest.raises(InputError):
        Database.open("credit", "postgresql://h/zk", tmp_path, schema='x"; drop')
