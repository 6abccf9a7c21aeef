"""``${VAR}`` and ``${VAR:-default}`` in environment documents."""

from __future__ import annotations

from typing import Any

import pytest

from zkredit.config.interpolation import chain_lookup, interpolate
from zkredit.errors import ConfigurationError

ENV = {"HOST": "db.internal", "PORT": "5432", "EMPTY": ""}


def resolve(value: Any, **env: str) -> Any:
    return interpolate({"k": value}, chain_lookup({**ENV, **env}), where="test.yml")["k"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${HOST}", "db.internal"),
        ("postgresql://${HOST}:${PORT}/zk", "postgresql://db.internal:5432/zk"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),  # empty counts as unset
        ("${HOST:-fallback}", "db.internal"),
        ("${MISSING:-}", None),  # nothing but references, resolving to "": not set
        ("x${MISSING:-}", "x"),
        ("$${HOST}", "${HOST}"),  # $$ is a literal $
        ("cost: $5", "cost: $5"),
        ("plain", "plain"),
        (42, 42),
        (True, True),
        (None, None),
    ],
)
def test_references_resolve(value: Any, expected: Any) -> None:
    assert resolve(value) == expected


def test_nested_values_and_lists_resolve_but_keys_do_not() -> None:
    data = {"a": {"${HOST}": ["${PORT}", {"b": "${HOST}"}]}}
    out = interpolate(data, chain_lookup(ENV), where="test.yml")
    assert out == {"a": {"${HOST}": ["5432", {"b": "db.internal"}]}}


def test_unset_variable_without_default_names_it_and_the_key() -> None:
    data = {"services": {"blockchain": {"rpc_url": "${SEPOLIA_RPC_URL}"}}}
    with pytest.raises(ConfigurationError) as caught:
        interpolate(data, chain_lookup({}), where="environments/test.yml")
    assert caught.value.message == (
        "environments/test.yml: services.blockchain.rpc_url uses ${SEPOLIA_RPC_URL}, "
        "but SEPOLIA_RPC_URL is not set"
    )
    assert "${SEPOLIA_RPC_URL:-default}" in (caught.value.hint or "")


@pytest.mark.parametrize("value", ["${HOST", "${1HOST}", "${}", "${HOST:default}", "${ HOST }"])
def test_malformed_references_are_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="malformed reference"):
        resolve(value)


def test_earlier_mappings_win_and_empty_values_fall_through() -> None:
    lookup = chain_lookup({"A": "env", "B": ""}, {"A": "dotenv", "B": "dotenv", "C": "dotenv"})
    assert (lookup("A"), lookup("B"), lookup("C"), lookup("D")) == ("env", "dotenv", "dotenv", None)
