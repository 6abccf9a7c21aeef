"""Fixtures of the whole-system crash tests: the session's anvil node (see the chain tier)."""

from __future__ import annotations

from tests.integration.chain.conftest import anvil_url  # noqa: F401
