"""Prover backends.

:class:`ProverBackend` is the one seam between the product and a Groth16
implementation. Two backends implement it:

* :class:`Groth16pyBackend` (default): witness from circom's wasm under
  wasmtime, proof from ``groth16py.prove_wtns`` over the imported ceremony
  zkey, verification by groth16py's pairing check. Keys load once per process.
* :class:`SnarkjsBackend`: the ``snarkjs`` CLI as a subprocess. Slow; used as
  the independent oracle in tests and as a fallback.

Both verify every proof right after proving and never return one that does
not verify: groth16py's ``prove`` does not reject a false statement, it
returns a proof that fails verification.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import groth16py
import wasmtime

from zkredit.errors import InputError, ProvingError, VerificationFailed, ZKError
from zkredit.telemetry import zk as zk_telemetry
from zkredit.zk.manifest import SINGLE_PARTY_DEV, CircuitCatalog, CircuitSpec
from zkredit.zk.proof import Proof
from zkredit.zk.toolchain import NodeTools
from zkredit.zk.witness import (
    CircuitInput,
    WitnessCalculator,
    encode_wtns,
    flatten_input,
    public_signals,
)


class ProverBackend(Protocol):
    """Proves and verifies statements of the catalog's circuits."""

    name: str
    catalog: CircuitCatalog

    def prove(self, circuit: str, inputs: CircuitInput) -> Proof:
        """Prove ``circuit`` on ``inputs``; the returned proof has been verified."""
        ...

    def verify(self, proof: Proof) -> bool:
        """Check ``proof`` against the circuit's verification key."""
        ...


def check_input_names(spec: CircuitSpec, inputs: Mapping[str, Any]) -> None:
    """Reject missing or unknown input signals with a message naming them."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"{spec.name} inputs must be a JSON object of signal -> value")
    public_inputs = [s for s in spec.public if s not in _outputs(spec)]
    expected = set(spec.private) | set(public_inputs)
    missing = sorted(expected - set(inputs))
    unknown = sorted(set(inputs) - expected)
    if missing:
        raise InputError(f"{spec.name}: missing input signal(s): {', '.join(missing)}")
    if unknown:
        raise InputError(
            f"{spec.name}: unknown input signal(s): {', '.join(unknown)}; "
            f"expected {', '.join(sorted(expected))}"
        )
    for name, value in inputs.items():
        flatten_input(value, name)  # raises on negatives, non-integers, values >= p


def _outputs(spec: CircuitSpec) -> set[str]:
    return {"nullifier", "tier", "level"} & set(spec.public)


def _scratch_dir() -> str | None:
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zkredit" / "wasm"


def load_wasm_module(engine: wasmtime.Engine, wasm: Path) -> wasmtime.Module:
    """Compile a wasm file, caching the native code on disk (1.5 s -> 10 ms on reload)."""
    digest = hashlib.sha256(wasm.read_bytes()).hexdigest()[:32]
    cached = (
        _cache_dir()
        / f"{digest}-{wasmtime.__version__ if hasattr(wasmtime, '__version__') else 'x'}.cwasm"
    )
    if cached.is_file():
        try:
            return wasmtime.Module.deserialize_file(engine, str(cached))
        except wasmtime.WasmtimeError:
            cached.unlink(missing_ok=True)
    module = wasmtime.Module.from_file(engine, str(wasm))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(module.serialize())
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home only costs compile time
    return module


class _LoadedCircuit:
    def __init__(self, catalog: CircuitCatalog, spec: CircuitSpec, engine: wasmtime.Engine):
        self.spec = spec
        module = load_wasm_module(engine, catalog.artifact_path(spec.name, "wasm"))
        self.witness = WitnessCalculator(catalog.artifact_path(spec.name, "wasm"), engine, module)
        self.setup = catalog.setup_kind()
        try:
            if self.setup == SINGLE_PARTY_DEV:
                self.pk = groth16py.ProvingKey.load(str(catalog.artifact_path(spec.name, "pk")))
                vk = groth16py.VerifyingKey.from_snarkjs(
                    catalog.artifact_path(spec.name, "vkey").read_text()
                )
            else:
                self.pk, vk = groth16py.import_zkey(str(catalog.artifact_path(spec.name, "zkey")))
        except BaseException as exc:  # PanicException derives from BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise ZKError(f"cannot load the proving key of {spec.name}: {exc}") from None
        if vk.n_public != spec.n_public:
            raise ZKError(
                f"{spec.name}: zkey has {vk.n_public} public signals, manifest lists "
                f"{spec.n_public}"
            )


def load_verifier(catalog: CircuitCatalog, name: str) -> groth16py.Verifier:
    """A prepared pairing verifier from the circuit's snarkjs verification key."""
    path = catalog.artifact_path(name, "vkey")
    try:
        return groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(path.read_text()))
    except OSError as exc:
        raise ZKError(f"cannot read verification key {path}: {exc}") from None
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ZKError(f"{path} is not a valid snarkjs verification key: {exc}") from None


class Groth16pyBackend:
    """In-process prover: wasmtime witness + groth16py ``prove_wtns``."""

    name = "groth16py"

    def __init__(self, catalog: CircuitCatalog, *, dev_keys: bool = False) -> None:
        self.catalog = catalog
        self.dev_keys = dev_keys
        self._engine = wasmtime.Engine()
        self._loaded: dict[str, _LoadedCircuit] = {}
        self._verifiers: dict[str, groth16py.Verifier] = {}

    def warm(self, circuits: list[str] | None = None) -> None:
        """Load keys and compile witness calculators now instead of on first use."""
        for name in circuits or self.catalog.names():
            self._circuit(name)

    def _circuit(self, name: str) -> _LoadedCircuit:
        loaded = self._loaded.get(name)
        if loaded is None:
            loaded = _LoadedCircuit(self.catalog, self.catalog.get(name), self._engine)
            self._loaded[name] = loaded
        return loaded

    def prove(self, circuit: str, inputs: CircuitInput) -> Proof:
        with zk_telemetry.proving(circuit):
            return self._prove(circuit, inputs)

    def _prove(self, circuit: str, inputs: CircuitInput) -> Proof:
        c = self._circuit(circuit)
        check_input_names(c.spec, inputs)
        raw = c.witness.witness_bytes(inputs)
        public = public_signals(raw, c.spec.n_public)
        wtns = encode_wtns(raw, c.witness.n8, c.witness.witness_size)
        with tempfile.NamedTemporaryFile(suffix=".wtns", dir=_scratch_dir()) as fh:
            fh.write(wtns)
            fh.flush()
            try:
                blob = groth16py.prove_wtns(c.pk, fh.name)
            except BaseException as exc:
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                raise ProvingError(f"{circuit}: the prover failed: {exc}") from None
        proof = Proof.from_bytes(bytes(blob), public, circuit).marked(c.setup)
        if not self._verify(proof):
            raise ProvingError(
                f"{circuit}: the generated proof does not verify; the statement is false "
                "or the keys do not match the circuit"
            )
        return proof

    def verify(self, proof: Proof) -> bool:
        return zk_telemetry.verifying(proof.circuit, lambda: self._verify(proof))

    def _verify(self, proof: Proof) -> bool:
        spec = self.catalog.get(proof.circuit)
        if len(proof.public) != spec.n_public:
            return False
        verifier = self._verifiers.get(spec.name)
        if verifier is None:
            verifier = self._verifiers[spec.name] = load_verifier(self.catalog, spec.name)
        try:
            return bool(verifier.verify(proof.to_bytes(), list(proof.public)))
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return False


class SnarkjsBackend:
    """snarkjs CLI prover (``groth16 fullprove``) and verifier, run as subprocesses."""

    name = "snarkjs"

    def __init__(self, catalog: CircuitCatalog, tools: NodeTools | None = None) -> None:
        self.catalog = catalog
        self.tools = tools or NodeTools.find()

    def prove(self, circuit: str, inputs: CircuitInput) -> Proof:
        with zk_telemetry.proving(circuit):
            return self._prove(circuit, inputs)

    def _prove(self, circuit: str, inputs: CircuitInput) -> Proof:
        spec = self.catalog.get(circuit)
        check_input_names(spec, inputs)
        with tempfile.TemporaryDirectory(prefix="zkredit-snarkjs-") as tmp:
            d = Path(tmp)
            (d / "input.json").write_text(json.dumps(_jsonable(inputs)))
            try:
                self.tools.snarkjs(
                    "groth16",
                    "fullprove",
                    d / "input.json",
                    self.catalog.artifact_path(circuit, "wasm"),
                    self.catalog.artifact_path(circuit, "zkey"),
                    d / "proof.json",
                    d / "public.json",
                )
            except ZKError as exc:
                raise ProvingError(f"{circuit}: snarkjs could not prove: {exc}") from None
            proof = Proof.from_snarkjs(
                json.loads((d / "proof.json").read_text()),
                json.loads((d / "public.json").read_text()),
                circuit,
            )
        if not self._verify(proof):
            raise ProvingError(f"{circuit}: snarkjs produced a proof that does not verify")
        return proof

    def verify(self, proof: Proof) -> bool:
        return zk_telemetry.verifying(proof.circuit, lambda: self._verify(proof))

    def _verify(self, proof: Proof) -> bool:
        with tempfile.TemporaryDirectory(prefix="zkredit-snarkjs-") as tmp:
            d = Path(tmp)
            (d / "proof.json").write_text(json.dumps(proof.snarkjs_proof()))
            (d / "public.json").write_text(json.dumps(proof.snarkjs_public()))
            try:
                out = self.tools.snarkjs(
                    "groth16",
                    "verify",
                    self.catalog.artifact_path(proof.circuit, "vkey"),
                    d / "public.json",
                    d / "proof.json",
                )
            except ZKError:
                return False
        return "OK!" in out


def _jsonable(inputs: Mapping[str, Any]) -> dict[str, Any]:
    def conv(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return str(v)

    return {k: conv(v) for k, v in inputs.items()}


def verify_or_raise(backend: ProverBackend, proof: Proof) -> None:
    """Raise :class:`VerificationFailed` when ``proof`` does not verify."""
    if not backend.verify(proof):
        raise VerificationFailed(f"the {proof.circuit} proof is invalid")
