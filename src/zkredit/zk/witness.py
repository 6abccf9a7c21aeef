"""Witness computation from circom's ``.wasm`` under wasmtime.

circom compiles each circuit to a WebAssembly witness calculator. Running it
here, instead of groth16py's interpreted ``prove(inputs)``, is the fast path
measured in the project brief: the wasm is JIT-compiled once per process, and
the witness is read straight out of linear memory (one call per wire instead of
one per 32-bit limb).

The calculator raises on a failed circuit ``assert`` (``===`` between known
values), which surfaces as :class:`~zkredit.errors.WitnessError` with circom's
own message.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import wasmtime

from zkredit.errors import InputError, WitnessError
from zkredit.zk.field import SNARK_SCALAR_FIELD

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1

_EXCEPTIONS = {
    1: "signal not found",
    2: "too many signals set",
    3: "signal already set",
    4: "assert failed",
    5: "not enough memory",
    6: "input signal array access exceeds the size",
    7: "out of bounds array access",
}

CircuitInput = Mapping[str, Any]

# A tiny companion module that copies every witness value out of the
# calculator's shared buffer in one wasm-to-wasm loop. Calling getWitness once
# per wire from Python costs ~20 us a call (0.1 s for a 6k-wire circuit);
# inside wasm the same loop takes a few milliseconds.
_DUMP_WAT = """
(module
  (import "c" "memory" (memory 1))
  (import "c" "getWitness" (func $get (param i32)))
  (func (export "dump") (param $n i32) (param $src i32) (param $dst i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $get (local.get $i))
        (memory.copy (local.get $dst) (local.get $src) (i32.const 32))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))
"""


def fnv1a64(name: str) -> int:
    """circom's hash of an input signal name (64-bit FNV-1a over the characters)."""
    h = _FNV_OFFSET
    for ch in name:
        h ^= ord(ch)
        h = (h * _FNV_PRIME) & _MASK64
    return h


def _flatten(value: Any, name: str) -> list[int]:
    if isinstance(value, (list, tuple)):
        out: list[int] = []
        for item in value:
            out.extend(_flatten(item, name))
        return out
    if isinstance(value, bool):
        raise InputError(f"input {name!r} must be an integer, got a boolean")
    if isinstance(value, int):
        v = value
    elif isinstance(value, str):
        try:
            v = int(value, 0) if value.lower().startswith("0x") else int(value, 10)
        except ValueError:
            raise InputError(
                f"input {name!r} must be a decimal integer string, got {value!r}"
            ) from None
    else:
        raise InputError(
            f"input {name!r} must be an integer or decimal string, got {type(value).__name__}"
        )
    if not 0 <= v < SNARK_SCALAR_FIELD:
        raise InputError(
            f"input {name!r} = {v} is outside the field [0, p); negative values are not allowed"
        )
    return [v]


class WitnessCalculator:
    """A compiled circom witness calculator, reusable for many witnesses.

    Not thread-safe: one instance per thread or process.
    """

    def __init__(
        self,
        wasm_path: Path,
        engine: wasmtime.Engine | None = None,
        module: wasmtime.Module | None = None,
    ) -> None:
        self.wasm_path = Path(wasm_path)
        if not self.wasm_path.is_file():
            raise WitnessError(f"witness calculator not found: {self.wasm_path}")
        self._engine = engine or wasmtime.Engine()
        self._store = wasmtime.Store(self._engine)
        if module is None:
            module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))
        self._errors: list[str] = []
        self._instance = wasmtime.Instance(self._store, module, self._imports())
        exports = self._instance.exports(self._store)
        self._x: dict[str, wasmtime.Func] = {}
        for name in (
                "init",
                "setInputSignal",
                "getInputSignalSize",
                "getInputSize",
                "getWitness",
                "getWitnessSize",
                "getFieldNumLen32",
                "getSharedRWMemoryStart",
                "writeSharedRWMemory",
                "getRawPrime",
                "readSharedRWMemory",
                "getMessageChar",
            ):
            func = exports[name]
            if not isinstance(func, wasmtime.Func):
                raise WitnessError(f"{self.wasm_path.name} is not a circom witness calculator")
            self._x[name] = func
        mem = exports["memory"]
        assert isinstance(mem, wasmtime.Memory)
        self._memory = mem
        self.n32: int = self._call("getFieldNumLen32")
        self.n8 = self.n32 * 4
        self.witness_size: int = self._call("getWitnessSize")
        self._shared = self._call("getSharedRWMemoryStart")
        self._call("getRawPrime")
        prime = int.from_bytes(self._read_shared(), "little")
        if prime != SNARK_SCALAR_FIELD or self.n8 != 32:
            raise WitnessError(f"{self.wasm_path.name} was compiled for another prime: {prime}")
        # Reserve a region past the calculator's own memory for the dump.
        pages = (self.witness_size * self.n8) // 65536 + 1
        self._out = self._memory.grow(self._store, pages) * 65536
        dump_module = wasmtime.Module(self._engine, bytes(wasmtime.wat2wasm(_DUMP_WAT)))
        dump_instance = wasmtime.Instance(
            self._store, dump_module, [self._memory, self._x["getWitness"]]
        )
        dump = dump_instance.exports(self._store)["dump"]
        assert isinstance(dump, wasmtime.Func)
        self._dump = dump

    # -- wasm plumbing ---------------------------------------------------------

    def _imports(self) -> list[wasmtime.Func]:
        store = self._store
        i32 = wasmtime.ValType.i32()

        def exception_handler(code: int) -> None:
            what = _EXCEPTIONS.get(code, f"unknown error {code}")
            detail = " ".join(self._errors).strip()
            raise WitnessError(f"circuit rejected the inputs: {what}. {detail}".strip())

        def print_error_message() -> None:
            self._errors.append(self._message())

        def write_buffer_message() -> None:
            self._message()

        def show_shared() -> None:
            return None

        return [
            wasmtime.Func(store, wasmtime.FuncType([i32], []), exception_handler),
            wasmtime.Func(store, wasmtime.FuncType([], []), print_error_message),
            wasmtime.Func(store, wasmtime.FuncType([], []), write_buffer_message),
            wasmtime.Func(store, wasmtime.FuncType([], []), show_shared),
        ]

    def _call(self, name: str, *args: int) -> Any:
        return self._x[name](self._store, *args)

    def _message(self) -> str:
        chars = []
        while (c := self._call("getMessageChar")) != 0:
            chars.append(chr(c))
        return "".join(chars)

    def _read_shared(self) -> bytes:
        base = ctypes.addressof(self._memory.data_ptr(self._store).contents)
        return ctypes.string_at(base + self._shared, self.n8)

    # -- public API ------------------------------------------------------------

    def _set_inputs(self, inputs: CircuitInput) -> None:
        self._errors.clear()
        self._call("init", 0)
        count = 0
        base = ctypes.addressof(self._memory.data_ptr(self._store).contents) + self._shared
        for name, value in inputs.items():
            h = fnv1a64(name)
            hi, lo = h >> 32, h & 0xFFFFFFFF
            size = self._call("getInputSignalSize", hi, lo)
            if size < 0:
                raise InputError(f"{self.wasm_path.stem} has no input signal {name!r}")
            values = _flatten(value, name)
            if len(values) != size:
                raise InputError(f"input {name!r} needs {size} value(s), got {len(values)}")
            for pos, v in enumerate(values):
                ctypes.memmove(base, v.to_bytes(self.n8, "little"), self.n8)
                try:
                    self._call("setInputSignal", hi, lo, pos)
                except wasmtime.Trap as trap:
                    raise self._as_error(trap) from None
                except wasmtime.WasmtimeError as err:
                    raise self._as_error(err) from None
                count += 1
        expected = self._call("getInputSize")
        if count < expected:
            raise InputError(f"only {count} of {expected} input values were given")

    def _as_error(self, err: Exception) -> WitnessError:
        cause = err.__cause__ or err.__context__
        if isinstance(cause, WitnessError):
            return cause
        text = str(err)
        marker = "circuit rejected the inputs"
        if marker in text:
            start = text.index(marker)
            return WitnessError(text[start:].splitlines()[0])
        return WitnessError(f"witness computation failed: {text.splitlines()[0]}")

    def witness_bytes(self, inputs: CircuitInput) -> bytes:
        """Compute the witness and return it as concatenated 32-byte little-endian values."""
        self._set_inputs(inputs)
        self._dump(self._store, self.witness_size, self._shared, self._out)
        base = ctypes.addressof(self._memory.data_ptr(self._store).contents)
        return ctypes.string_at(base + self._out, self.witness_size * self.n8)

    def witness(self, inputs: CircuitInput) -> list[int]:
        """Compute the witness as a list of integers (index 0 is the constant 1)."""
        raw = self.witness_bytes(inputs)
        n8 = self.n8
        return [int.from_bytes(raw[i : i + n8], "little") for i in range(0, len(raw), n8)]

    def write_wtns(self, inputs: CircuitInput, path: Path) -> bytes:
        """Compute the witness and write it in snarkjs ``.wtns`` format; return the raw witness."""
        raw = self.witness_bytes(inputs)
        path.write_bytes(encode_wtns(raw, self.n8, self.witness_size))
        return raw


def encode_wtns(raw: bytes, n8: int, n_witness: int) -> bytes:
    """Serialise a raw witness into the binary ``.wtns`` container (version 2)."""
    header = struct.pack("<I", n8) + SNARK_SCALAR_FIELD.to_bytes(n8, "little")
    header += struct.pack("<I", n_witness)
    out = bytearray(b"wtns")
    out += struct.pack("<II", 2, 2)
    out += struct.pack("<IQ", 1, len(header)) + header
    out += struct.pack("<IQ", 2, len(raw)) + raw
    return bytes(out)


def public_signals(raw: bytes, n_public: int, n8: int = 32) -> list[int]:
    """The public signals of a raw witness: wires 1..n_public (outputs first)."""
    return [int.from_bytes(raw[i * n8 : (i + 1) * n8], "little") for i in range(1, 1 + n_public)]


def flatten_input(value: Sequence[Any] | int | str, name: str) -> list[int]:
    """Validate and flatten one circom input value (used by input builders and tests)."""
    return _flatten(value, name)
