"""Sanctions screening (fuzzy, normalised names) and the wallet deny list."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkredit.domain.errors import DataFileError
from zkredit.domain.sanctions import (
    REVIEW_THRESHOLD_BPS,
    SanctionsList,
    ScreeningOutcome,
    WalletDenyList,
    normalize_address,
    normalize_name,
    similarity_bps,
)
from zkredit.errors import InputError

CLEAR, REVIEW, BLOCK = ScreeningOutcome.CLEAR, ScreeningOutcome.REVIEW, ScreeningOutcome.BLOCK


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("RODRÍGUEZ, Juan", "juan rodriguez"),
        ("  Juan   Rodriguez ", "juan rodriguez"),
        ("Al-Zubaidi, Karim Hassan", "al hassan karim zubaidi"),
        ("Ñandú O'Brien-Łoś", "brien los nandu o"),
        ("ÅSA Ødegård", "asa odegard"),
        ("!!!", ""),
    ],
)
def test_normalize_name(raw: str, normalized: str) -> None:
    assert normalize_name(raw) == normalized


def test_sample_list_size(sanctions: SanctionsList) -> None:
    assert 28 <= len(sanctions.entries) <= 35
    assert all(e.aliases for e in sanctions.entries)


@pytest.mark.parametrize(
    "name",
    ["Juan Rodriguez", "Maria Rodriguez", "Samuel Adewale", "John Doe", "Juan Rodríguez"],
)
def test_scenario_people_are_clear_and_far_from_every_entry(
    sanctions: SanctionsList, name: str
) -> None:
    result = sanctions.screen(name)
    assert result.outcome is CLEAR
    assert result.match is None
    assert result.closest is not None and result.closest.score_bps < 7_000


@pytest.mark.parametrize(
    ("name", "outcome", "entry_id", "score_bps"),
    [
        ("Viktor Dragunov", BLOCK, "SMPL-0001", 10_000),
        ("DRAGUNOV, Víktor", BLOCK, "SMPL-0001", 10_000),
        ("viktor arkadyevich dragunov", BLOCK, "SMPL-0001", 10_000),
        ("Goran Lenz-Petrovic", BLOCK, "SMPL-0004", 10_000),
        ("Viktor Dragunoff", REVIEW, "SMPL-0001", 9_032),
        ("Ahmed El Masry", REVIEW, "SMPL-0023", 9_286),
        ("Esteban Quiroga", REVIEW, "SMPL-0014", 10_000),  # partial: second surname dropped
        ("Estevan Quiroga", REVIEW, "SMPL-0014", 9_333),
        ("Maria Santoro", CLEAR, "SMPL-0015", 7_857),
    ],
)
def test_screening_table(
    sanctions: SanctionsList, name: str, outcome: ScreeningOutcome, entry_id: str, score_bps: int
) -> None:
    result = sanctions.screen(name)
    assert result.outcome is outcome
    assert result.closest is not None
    assert (result.closest.entry.id, result.closest.score_bps) == (entry_id, score_bps)
    assert (result.match is not None) is (outcome is not CLEAR)


def test_partial_names_never_block(sanctions: SanctionsList) -> None:
    result = sanctions.screen("Sergei Orlov")
    assert result.outcome is REVIEW
    assert result.match is not None and result.match.partial
    assert result.match.entry.id == "SMPL-0022"


def test_thresholds_are_parameters(sanctions: SanctionsList) -> None:
    assert sanctions.screen("Viktor Dragunoff", review_bps=9_100).outcome is CLEAR
    assert sanctions.screen("Viktor Dragunoff", block_bps=9_000).outcome is BLOCK
    with pytest.raises(InputError, match="thresholds"):
        sanctions.screen("x", review_bps=9_800, block_bps=9_700)
    with pytest.raises(InputError, match="at least one letter"):
        sanctions.screen(" -- ")


@given(st.text(min_size=1, max_size=40))
def test_similarity_is_symmetric_integer_and_bounded(name: str) -> None:
    a, b = normalize_name(name), "viktor dragunov"
    score = similarity_bps(a, b)
    assert type(score) is int and 0 <= score <= 10_000
    assert score == similarity_bps(b, a)
    assert similarity_bps(a, a) == 10_000


@given(st.permutations(["viktor", "ARKADYEVICH", "Dragunov"]))
def test_token_order_does_not_matter(tokens: list[str]) -> None:
    result = SanctionsList.packaged().screen(" ".join(tokens))
    assert result.outcome is BLOCK


def test_sanctions_file_tamper() -> None:
    entry: dict[str, object] = {"id": "A", "name": "X Y", "type": "i", "program": "P"}
    good = {"source": "t", "entries": [entry]}
    assert SanctionsList.from_json_text(json.dumps(good)).screen("x y").outcome is BLOCK
    dup = {**good, "entries": [entry, entry]}
    with pytest.raises(DataFileError, match="duplicate id A"):
        SanctionsList.from_json_text(json.dumps(dup))
    blank = {**good, "entries": [{**entry, "aliases": ["--"]}]}
    with pytest.raises(DataFileError, match="no letters or digits"):
        SanctionsList.from_json_text(json.dumps(blank))
    with pytest.raises(DataFileError, match="missing key 'name'"):
        SanctionsList.from_json_text(json.dumps({"source": "t", "entries": [{"id": "A"}]}))


def test_review_threshold_default() -> None:
    assert REVIEW_THRESHOLD_BPS == 8_500


# --- wallets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "denied"),
    [
        ("0xdead00000000000000000000000000000000beef", True),
        ("0xDEAD00000000000000000000000000000000BEEF", True),
        ("0xf00df00df00df00df00df00df00df00df00df00d", True),  # listed in upper case
        ("0x00000000000000000000000000000000000000aa", False),
        ("0xdead00000000000000000000000000000000beee", False),
    ],
)
def test_wallet_deny_list(deny_list: WalletDenyList, address: str, denied: bool) -> None:
    result = deny_list.check(address)
    assert result.denied is denied
    assert result.address == address.lower()
    assert (result.entry is not None) is denied


@pytest.mark.parametrize(
    "address", ["", "0x123", "dead00000000000000000000000000000000beef00", "0x" + "g" * 40]
)
def test_wallet_address_format(address: str) -> None:
    with pytest.raises(InputError, match="not an Ethereum address"):
        normalize_address(address)


def test_packaged_deny_list_size(deny_list: WalletDenyList) -> None:
    assert len(deny_list) == 5


@given(st.text(max_size=30), st.text(max_size=30))
def test_similarity_is_rapidfuzz_ratio_in_integer_bp(a: str, b: str) -> None:
    from rapidfuzz import fuzz

    if not a and not b:
        return
    assert abs(similarity_bps(a, b) - fuzz.ratio(a, b) * 100) <= 0.5 + 1e-9
