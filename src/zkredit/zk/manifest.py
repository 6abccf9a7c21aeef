"""Circuit manifest and committed-artifact integrity.

``circuits/circuits.json`` says what each circuit is (template, parameters,
public signals in snarkjs order, constraint count). ``circuits/keys/MANIFEST.json``
records the sha256 of every source file, r1cs, wasm, zkey and vkey that the
ceremony produced. At start-up and in ``zkredit circuits verify`` the files on
disk are re-hashed against it; any mismatch names the file and disables proving.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit.errors import ArtifactError, UnknownCircuitError

MANIFEST_NAME = "MANIFEST.json"
ARTIFACT_KINDS = ("r1cs", "wasm", "zkey", "vkey")
DEV_ARTIFACT_KINDS = ("wasm", "pk", "vkey")
CEREMONY = "ceremony"
SINGLE_PARTY_DEV = "single-party-dev"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class CircuitSpec:
    """One circuit of the manifest."""

    name: str
    template: str
    source: str
    public: tuple[str, ...]
    private: tuple[str, ...]
    constraints: int
    credential_type: int
    params: dict[str, int] = field(default_factory=dict)

    @property
    def n_public(self) -> int:
        return len(self.public)

    def index_of(self, signal: str) -> int:
        """Position of a public signal in the snarkjs public array."""
        try:
            return self.public.index(signal)
        except ValueError:
            raise UnknownCircuitError(
                f"{self.name} has no public signal {signal!r}; it has {', '.join(self.public)}"
            ) from None


@dataclass(frozen=True)
class CircuitCatalog:
    """All circuits, with the directories that hold their sources and keys."""

    circuits_dir: Path
    keys_dir: Path
    specs: dict[str, CircuitSpec]

    @classmethod
    def load(cls, manifest_path: Path, keys_dir: Path | None = None) -> CircuitCatalog:
        if not manifest_path.is_file():
            raise ArtifactError(f"circuit manifest not found: {manifest_path}")
        try:
            raw: dict[str, Any] = json.loads(manifest_path.read_text())
        except json.JSONDecodeError as exc:
            raise ArtifactError(f"{manifest_path} is not valid JSON: {exc}") from exc
        specs = {
            name: CircuitSpec(
                name=name,
                template=entry["template"],
                source=entry["source"],
                public=tuple(entry["public"]),
                private=tuple(entry.get("private", ())),
                constraints=int(entry["constraints"]),
                credential_type=int(entry["credential_type"]),
                params=dict(entry.get("params", {})),
            )
            for name, entry in raw.items()
        }
        circuits_dir = manifest_path.parent
        return cls(circuits_dir, keys_dir or circuits_dir / "keys", specs)

    def __iter__(self) -> Iterator[CircuitSpec]:
        return iter(self.specs[name] for name in sorted(self.specs))

    def names(self) -> list[str]:
        return sorted(self.specs)

    def get(self, name: str) -> CircuitSpec:
        try:
            return self.specs[name]
        except KeyError:
            close = difflib.get_close_matches(name, self.specs, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownCircuitError(
                f"unknown circuit {name!r}.{hint} Known circuits: {', '.join(self.names())}"
            ) from None

    # -- files -----------------------------------------------------------------

    def source_path(self, name: str) -> Path:
        return self.circuits_dir / self.get(name).source

    def artifact_path(self, name: str, kind: str) -> Path:
        suffix = {
            "r1cs": ".r1cs",
            "wasm": ".wasm",
            "zkey": ".zkey",
            "vkey": ".vkey.json",
            "pk": ".dev.pk",
        }[kind]
        return self.keys_dir / f"{name}{suffix}"

    def source_files(self) -> list[Path]:
        """Every circom source the circuits are built from (entry points and lib/)."""
        src = self.circuits_dir / "src"
        return sorted(src.rglob("*.circom"))

    def manifest_path(self) -> Path:
        return self.keys_dir / MANIFEST_NAME

    def read_manifest(self) -> dict[str, Any]:
        path = self.manifest_path()
        if not path.is_file():
            raise ArtifactError(
                f"key manifest not found: {path}",
                hint="Run `zkredit ceremony` (or check out the committed circuits/keys/).",
            )
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def verify(self) -> list[str]:
        """Re-hash every file recorded in the manifest; return one message per mismatch."""
        manifest = self.read_manifest()
        problems: list[str] = []
        for rel, digest in sorted(manifest.get("sources", {}).items()):
            path = self.circuits_dir / rel
            if not path.is_file():
                problems.append(f"{path}: source listed in the manifest is missing")
            elif sha256_file(path) != digest:
                problems.append(f"{path}: source changed since the ceremony (sha256 mismatch)")
        listed = set(manifest.get("sources", {}))
        for path in self.source_files():
            rel = str(path.relative_to(self.circuits_dir))
            if rel not in listed:
                problems.append(f"{path}: source not covered by the ceremony manifest")
        for name in self.names():
            entry = manifest.get("circuits", {}).get(name)
            if entry is None:
                problems.append(f"{name}: no keys in {self.manifest_path()}")
                continue
            kinds = (
                DEV_ARTIFACT_KINDS if manifest.get("setup") == SINGLE_PARTY_DEV else ARTIFACT_KINDS
            )
            for kind in kinds:
                path = self.artifact_path(name, kind)
                if not path.is_file():
                    problems.append(f"{path}: missing")
                elif sha256_file(path) != entry[kind]:
                    problems.append(f"{path}: sha256 does not match {MANIFEST_NAME}")
        ptau = manifest.get("ptau")
        if ptau:
            path = self.keys_dir / ptau["file"]
            if path.is_file() and sha256_file(path) != ptau["sha256"]:
                problems.append(f"{path}: sha256 does not match {MANIFEST_NAME}")
        return problems

    def require_intact(self) -> dict[str, Any]:
        """Raise :class:`ArtifactError` naming every mismatched file, else return the manifest."""
        problems = self.verify()
        if problems:
            raise ArtifactError(
                "circuit artifacts do not match the manifest, proving is disabled:\n  "
                + "\n  ".join(problems),
                hint="Restore circuits/keys/ from git, or re-run `zkredit ceremony`.",
            )
        return self.read_manifest()

    def setup_kind(self) -> str:
        """``"ceremony"`` for multi-party phase-2 keys, ``"single-party-dev"`` otherwise."""
        return str(self.read_manifest().get("setup", CEREMONY))
