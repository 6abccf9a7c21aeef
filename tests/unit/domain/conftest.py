"""Shared fixtures of the domain tests: the packaged demo data and a fixed instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zkredit.domain.fees import FeeSchedule
from zkredit.domain.fx import SnapshotRateProvider
from zkredit.domain.sanctions import SanctionsList, WalletDenyList

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def rates() -> SnapshotRateProvider:
    return SnapshotRateProvider.packaged()


@pytest.fixture(scope="session")
def schedule() -> FeeSchedule:
    return FeeSchedule.packaged()


@pytest.fixture(scope="session")
def sanctions() -> SanctionsList:
    return SanctionsList.packaged()


@pytest.fixture(scope="session")
def deny_list() -> WalletDenyList:
    return WalletDenyList.packaged()
