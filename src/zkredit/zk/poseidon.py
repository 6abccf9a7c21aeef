"""Poseidon over BN254, identical to circomlib ``Poseidon(n)`` and circomlibjs ``buildPoseidon``.

Two engines compute the same function:

* native: the Rust ``light-poseidon`` bindings (arity 1..12, CPython 3.11 wheel only);
* pure: a Python port of the optimised permutation in ``poseidon.circom``, fed by
  the round constants of the circomlib that ``groth16py`` vendors, so the
  constants are the very ones the circuits are compiled against.

:func:`poseidon` picks the native engine when it can and falls back to pure.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zkredit.errors import ArtifactError, InputError, ToolMissingError
from zkredit.zk.field import SNARK_SCALAR_FIELD, FieldElement, to_field

_P = SNARK_SCALAR_FIELD
MAX_ARITY = 16
NATIVE_MAX_ARITY = 12

_N_ROUNDS_F = 8
# Partial round counts per state width t = 2..17, from poseidon.circom; used to
# cross-check the constants file so a truncated or swapped table fails loudly.
_N_ROUNDS_P = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)

_NativeHash = Callable[[list[bytes]], str]


def _load_native() -> _NativeHash | None:
    try:
        from light_poseidon_python import poseidon_hash_bytes
    except ImportError:
        return None
    fn: _NativeHash = poseidon_hash_bytes
    return fn


_native_hash = _load_native()


def native_available() -> bool:
    """Whether the light-poseidon native engine could be imported."""
    return _native_hash is not None


def engine_for(arity: int) -> str:
    """Name of the engine :func:`poseidon` uses for ``arity`` inputs: "native" or "pure"."""
    _check_arity(arity)
    return "native" if _native_hash is not None and arity <= NATIVE_MAX_ARITY else "pure"


def _check_arity(n: int) -> None:
    if not 1 <= n <= MAX_ARITY:
        raise InputError(f"poseidon takes 1 to {MAX_ARITY} inputs. Got {n}")


def _checked_inputs(inputs: Sequence[int]) -> list[int]:
    if isinstance(inputs, str | bytes) or not isinstance(inputs, Sequence):
        raise InputError(f"poseidon inputs must be a sequence of integers. Got {inputs!r}")
    _check_arity(len(inputs))
    return [to_field(v, name=f"poseidon input [{i}]") for i, v in enumerate(inputs)]


def poseidon(inputs: Sequence[int]) -> FieldElement:
    """Hash 1..16 field elements exactly as circomlib ``Poseidon(len(inputs))``."""
    values = _checked_inputs(inputs)
    if _native_hash is not None and len(values) <= NATIVE_MAX_ARITY:
        # The int entry point of light-poseidon only takes u64; the bytes one
        # takes full field elements (and rejects >= p itself, already checked).
        out = _native_hash([v.to_bytes(32, "big") for v in values])
        return FieldElement(int(out, 16))
    return FieldElement(_permute(values))


def poseidon_pure(inputs: Sequence[int]) -> FieldElement:
    """The pure-Python engine, whatever is installed (for cross-checking engines)."""
    return FieldElement(_permute(_checked_inputs(inputs)))


# --- constants ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Params:
    t: int
    n_partial: int
    c: tuple[int, ...]
    s: tuple[int, ...]
    # Columns of M and P: circom's Mix computes out[i] = sum_j M[j][i] * in[j].
    m_cols: tuple[tuple[int, ...], ...]
    p_cols: tuple[tuple[int, ...], ...]


def constants_path() -> str:
    """Path of the ``poseidon_constants.circom`` the pure engine reads."""
    try:
        import groth16py
    except ImportError as exc:  # pragma: no cover - groth16py is a hard dependency
        raise ToolMissingError(
            "the pure Poseidon engine needs groth16py for circomlib's poseidon_constants.circom",
            hint="pip install groth16py",
        ) from exc
    return os.path.join(groth16py.circomlib_path(2), "poseidon_constants.circom")


_COMMENT_RE = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_ARRAY_END_RE = re.compile(r"\]\s*;")
_TOKEN_RE = re.compile(r"\s*(0[xX][0-9a-fA-F]+|[0-9]+|\[|\]|,)")

_Nested = int | list["_Nested"]


def _parse_array(text: str, where: str) -> _Nested:
    """Parse a circom array literal such as ``[[0x1, 2], [3, 4]]``."""
    pos = 0

    def fail(msg: str) -> ArtifactError:
        return ArtifactError(f"{where}: {msg} at offset {pos}")

    def token() -> str:
        nonlocal pos
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise fail("unexpected text")
        pos = m.end()
        return m.group(1)

    def value(tok: str) -> _Nested:
        if tok != "[":
            if tok in ("]", ","):
                raise fail(f"unexpected {tok!r}")
            return int(tok, 0)
        items: list[_Nested] = []
        while True:
            items.append(value(token()))
            sep = token()
            if sep == "]":
                return items
            if sep != ",":
                raise fail(f"expected ',' or ']' but found {sep!r}")

    result = value(token())
    if text[pos:].strip():
        raise fail("trailing text")
    return result


def _function_block(source: str, func: str, t: int) -> str:
    start = source.find(f"function {func}(")
    if start < 0:
        raise ArtifactError(f"{constants_path()}: function {func} not found")
    end = source.find("function ", start + 1)
    body = source[start : end if end >= 0 else len(source)]
    head = re.search(rf"[(\s]t\s*==\s*{t}\s*\)\s*\{{\s*return\s*(?=\[)", body)
    tail = _ARRAY_END_RE.search(body, head.end()) if head else None
    if head is None or tail is None:
        raise ArtifactError(f"{constants_path()}: no {func} constants for t={t}")
    return body[head.end() : tail.start() + 1]


def _flat(value: _Nested, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        raise ArtifactError(f"{where}: expected a flat array of numbers")
    return tuple(v for v in value if isinstance(v, int))


def _matrix(value: _Nested, t: int, where: str) -> tuple[tuple[int, ...], ...]:
    if not isinstance(value, list) or len(value) != t:
        raise ArtifactError(f"{where}: expected {t} rows")
    rows = [_flat(row, where) for row in value]
    if any(len(row) != t for row in rows):
        raise ArtifactError(f"{where}: expected {t}x{t} matrix")
    return tuple(zip(*rows, strict=True))


@functools.cache
def _params(t: int) -> _Params:
    path = constants_path()
    try:
        with open(path, encoding="utf-8") as fh:
            source = _COMMENT_RE.sub("", fh.read())
    except OSError as exc:
        raise ArtifactError(f"cannot read Poseidon constants {path}: {exc}") from exc
    n_partial = _N_ROUNDS_P[t - 2]

    def parse(func: str) -> _Nested:
        return _parse_array(_function_block(source, func, t), f"{path} {func}(t={t})")

    c = _flat(parse("POSEIDON_C"), f"POSEIDON_C(t={t})")
    s = _flat(parse("POSEIDON_S"), f"POSEIDON_S(t={t})")
    m_cols = _matrix(parse("POSEIDON_M"), t, f"POSEIDON_M(t={t})")
    p_cols = _matrix(parse("POSEIDON_P"), t, f"POSEIDON_P(t={t})")
    if len(c) != t * _N_ROUNDS_F + n_partial or len(s) != n_partial * (2 * t - 1):
        raise ArtifactError(
            f"{path}: t={t} has {len(c)} C and {len(s)} S constants; expected "
            f"{t * _N_ROUNDS_F + n_partial} and {n_partial * (2 * t - 1)}"
        )
    every = (*c, *s, *(v for col in (*m_cols, *p_cols) for v in col))
    if any(v >= _P for v in every):
        raise ArtifactError(f"{path}: t={t} has a constant outside the field")
    return _Params(t, n_partial, c, s, m_cols, p_cols)


# --- permutation -------------------------------------------------------------


def _sbox_all(state: list[int]) -> list[int]:
    out = []
    for x in state:
        x2 = x * x % _P
        out.append(x2 * x2 % _P * x % _P)
    return out


def _mix(state: list[int], cols: tuple[tuple[int, ...], ...]) -> list[int]:
    return [sum(m * x for m, x in zip(col, state, strict=True)) % _P for col in cols]


def _permute(inputs: list[int]) -> int:
    """Port of circomlib PoseidonEx(n, 1) with initialState 0: the optimised schedule
    where partial rounds use the sparse matrices S and the pre-mix matrix P."""
    t = len(inputs) + 1
    prm = _params(t)
    c, s, n_partial = prm.c, prm.s, prm.n_partial
    half = _N_ROUNDS_F // 2

    state = [(x + c[i]) % _P for i, x in enumerate([0, *inputs])]
    for r in range(half - 1):
        state = _sbox_all(state)
        state = _mix([(x + c[(r + 1) * t + i]) for i, x in enumerate(state)], prm.m_cols)
    state = _sbox_all(state)
    state = _mix([(x + c[half * t + i]) for i, x in enumerate(state)], prm.p_cols)

    pc = (half + 1) * t
    width = 2 * t - 1
    for r in range(n_partial):
        x = state[0]
        x2 = x * x % _P
        s0 = (x2 * x2 % _P * x + c[pc + r]) % _P
        base = width * r
        acc = s0 * s[base]
        for i in range(1, t):
            acc += s[base + i] * state[i]
        for i in range(1, t):
            state[i] = (state[i] + s0 * s[base + t + i - 1]) % _P
        state[0] = acc % _P

    tail = pc + n_partial
    for r in range(half - 1):
        state = _sbox_all(state)
        state = _mix([(x + c[tail + r * t + i]) for i, x in enumerate(state)], prm.m_cols)
    state = _sbox_all(state)
    return sum(m * x for m, x in zip(prm.m_cols[0], state, strict=True)) % _P
