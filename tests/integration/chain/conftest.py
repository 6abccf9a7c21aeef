"""An anvil node from npm for the whole session, on a free port.

Without the binary the anvil tests skip with the reason, except under ``CI=true``
where they fail (CI must run every tier).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require
from zkredit.chain.errors import NodeBinaryMissing
from zkredit.chain.node import AnvilNode, anvil_binary, free_port


def anvil_available() -> tuple[bool, str]:
    try:
        anvil_binary()
    except NodeBinaryMissing as exc:
        return False, f"{exc.message} ({exc.hint})"
    return True, ""


@pytest.fixture(scope="session")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ok, reason = anvil_available()
    require(ok, reason)
    node = AnvilNode(tmp_path_factory.mktemp("anvil"))
    info, _ = node.start(free_port())
    yield info.url
    node.stop()
