"""zkredit.zk.poseidon against circomlibjs buildPoseidon, with both engines."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import groth16py
import pytest

from zkredit.errors import ArtifactError, EncodingError, FieldRangeError, InputError
from zkredit.zk import poseidon as poseidon_module
from zkredit.zk.field import SNARK_SCALAR_FIELD
from zkredit.zk.poseidon import (
    MAX_ARITY,
    NATIVE_MAX_ARITY,
    constants_path,
    engine_for,
    native_available,
    poseidon,
    poseidon_pure,
)

P = SNARK_SCALAR_FIELD
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "circomlibjs_vectors.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text())["poseidon"]
needs_native = pytest.mark.skipif(
    not native_available(), reason="light-poseidon (light_poseidon_python) is not importable"
)


def _id(case: dict[str, Any]) -> str:
    return f"n{len(case['inputs'])}-{case['inputs'][0][:6]}"


def test_fixture_covers_every_arity() -> None:
    assert {len(c["inputs"]) for c in CASES} == set(range(1, MAX_ARITY + 1))


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_default_engine_matches_circomlibjs(case: dict[str, Any]) -> None:
    inputs = [int(v) for v in case["inputs"]]
    assert poseidon(inputs) == int(case["hash"])


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_pure_engine_matches_circomlibjs(case: dict[str, Any]) -> None:
    inputs = [int(v) for v in case["inputs"]]
    assert poseidon_pure(inputs) == int(case["hash"])


@needs_native
def test_native_engine_is_used_up_to_its_arity_limit() -> None:
    assert [engine_for(n) for n in range(1, MAX_ARITY + 1)] == ["native"] * NATIVE_MAX_ARITY + [
        "pure"
    ] * (MAX_ARITY - NATIVE_MAX_ARITY)


@needs_native
def test_native_engine_agrees_with_pure_on_full_width_values() -> None:
    # light-poseidon's int entry point is u64-only; make sure we feed it full
    # 254-bit values correctly through the bytes entry point.
    for n in range(1, NATIVE_MAX_ARITY + 1):
        inputs = [(P - 1 - 7 * i) ** 3 % P for i in range(n)]
        assert poseidon(inputs) == poseidon_pure(inputs)


def test_engine_for_without_native(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poseidon_module, "_native_hash", None)
    assert not native_available()
    assert {engine_for(n) for n in range(1, MAX_ARITY + 1)} == {"pure"}
    assert poseidon([1, 2]) == int(
        "7853200120776062878684798364095072458815029376092732009249414926327459813530"
    )


@pytest.mark.parametrize("fn", [poseidon, poseidon_pure])
def test_rejects_bad_arity(fn: Any) -> None:
    with pytest.raises(InputError, match=r"poseidon takes 1 to 16 inputs\. Got 0"):
        fn([])
    with pytest.raises(InputError, match="Got 17"):
        fn([1] * 17)
    with pytest.raises(InputError, match="Got 17"):
        engine_for(17)


@pytest.mark.parametrize("fn", [poseidon, poseidon_pure])
def test_rejects_values_outside_the_field(fn: Any) -> None:
    with pytest.raises(FieldRangeError, match=r"poseidon input \[1\] must be in"):
        fn([1, P])
    with pytest.raises(FieldRangeError, match=r"poseidon input \[0\]"):
        fn([-1])
    with pytest.raises(EncodingError, match=r"poseidon input \[0\] must be an integer"):
        fn([True])
    with pytest.raises(InputError, match="sequence of integers"):
        fn("12")


def test_constants_come_from_groth16py_circomlib() -> None:
    assert constants_path() == os.path.join(
        groth16py.circomlib_path(2), "poseidon_constants.circom"
    )
    assert os.path.isfile(constants_path())


@pytest.fixture
def broken_constants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "poseidon_constants.circom"
    monkeypatch.setattr(poseidon_module, "constants_path", lambda: str(path))
    poseidon_module._params.cache_clear()
    yield path
    poseidon_module._params.cache_clear()


def test_truncated_constants_file_fails_loudly(broken_constants: Path) -> None:
    broken_constants.write_text(
        "function POSEIDON_C(t) { if (t==2) { return [1, 2, 3]; } }\n"
        "function POSEIDON_M(t) { if (t==2) { return [[1, 2], [3, 4]]; } }\n"
        "function POSEIDON_P(t) { if (t==2) { return [[1, 2], [3, 4]]; } }\n"
        "function POSEIDON_S(t) { if (t==2) { return [1]; } }\n"
    )
    with pytest.raises(ArtifactError, match="t=2 has 3 C and 1 S constants"):
        poseidon_pure([1])
    with pytest.raises(ArtifactError, match="no POSEIDON_C constants for t=3"):
        poseidon_pure([1, 2])


def test_missing_constants_file_fails_loudly(broken_constants: Path) -> None:
    with pytest.raises(ArtifactError, match="cannot read Poseidon constants"):
        poseidon_pure([1])


def test_malformed_matrix_fails_loudly(broken_constants: Path) -> None:
    broken_constants.write_text(
        "function POSEIDON_C(t) { if (t==2) { return [1]; } }\n"
        "function POSEIDON_M(t) { if (t==2) { return [[1, 2], [3]]; } }\n"
        "function POSEIDON_P(t) { if (t==2) { return [[1, 2], [3, 4]]; } }\n"
        "function POSEIDON_S(t) { if (t==2) { return [1]; } }\n"
    )
    with pytest.raises(ArtifactError, match=r"POSEIDON_M\(t=2\): expected 2x2 matrix"):
        poseidon_pure([1])


def test_unparsable_array_fails_loudly(broken_constants: Path) -> None:
    broken_constants.write_text("function POSEIDON_C(t) { if (t==2) { return [1 2]; } }\n")
    with pytest.raises(ArtifactError, match="expected ',' or ']'"):
        poseidon_pure([1])
