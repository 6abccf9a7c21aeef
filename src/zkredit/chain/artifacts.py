"""The committed contract artifacts (``contracts/artifacts``): ABI, bytecode, error table.

Artifacts are JSON files written by ``tools/contracts/build.mjs``; test doubles
live under ``test/``. The store also knows every custom error of every artifact,
so a revert is decoded to its name whichever contract raised it (a call through
ZKCreditVerifier can revert in the credit registry).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

from zkredit.chain.errors import DeploymentError
from zkredit.settings import project_root

ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


def default_artifacts_dir() -> Path:
    return project_root() / "contracts" / "artifacts"


def abi_type(item: dict[str, Any]) -> str:
    """The canonical ABI type of an input, with tuples spelled out: ``(uint256,bool)[]``."""
    kind: str = item["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in item["components"])
        return f"({inner}){kind[5:]}"
    return kind


@dataclass(frozen=True)
class ErrorSpec:
    """One Solidity custom error: its name and argument types."""

    name: str
    types: tuple[str, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.types)})"


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    path: Path
    data: dict[str, Any]

    @property
    def abi(self) -> list[dict[str, Any]]:
        abi: list[dict[str, Any]] = self.data["abi"]
        return abi

    @property
    def bytecode(self) -> str:
        return str(self.data["bytecode"])

    @property
    def deployed_bytecode(self) -> bytes:
        return bytes.fromhex(str(self.data["deployedBytecode"])[2:])

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def errors(self) -> list[ErrorSpec]:
        return [
            ErrorSpec(item["name"], tuple(abi_type(i) for i in item["inputs"]))
            for item in self.abi
            if item["type"] == "error"
        ]

    def function_input_type(self, function: str, index: int = 0) -> str:
        """The ABI type of argument ``index`` of ``function`` (the first overload)."""
        for item in self.abi:
            if item["type"] == "function" and item["name"] == function:
                return abi_type(item["inputs"][index])
        raise DeploymentError(f"{self.name} has no function {function!r}")


class ArtifactStore:
    """Loads artifacts from one directory and decodes reverts against all of them."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_artifacts_dir()
        self._cache: dict[str, Artifact] = {}

    def get(self, name: str) -> Artifact:
        """Artifact ``name``: the file stem under the directory (``test/MockGroth16Verifier``)."""
        if name not in self._cache:
            path = self.directory / f"{name}.json"
            try:
                data = json.loads(path.read_text())
            except FileNotFoundError:
                known = ", ".join(sorted(self.names())) or "none"
                raise DeploymentError(
                    f"no artifact {name!r} in {self.directory} (known: {known})",
                    hint="Build the contracts with `make contracts`.",
                ) from None
            self._cache[name] = Artifact(name, path, data)
        return self._cache[name]

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(
            p.relative_to(self.directory).with_suffix("").as_posix()
            for p in self.directory.rglob("*.json")
            if p.name != "MANIFEST.json"
        )

    @cached_property
    def error_table(self) -> dict[bytes, ErrorSpec]:
        """4-byte selector -> custom error, over every artifact in the directory."""
        table: dict[bytes, ErrorSpec] = {}
        for name in self.names():
            for spec in self.get(name).errors():
                table[bytes(keccak(text=spec.signature)[:4])] = spec
        return table

    def decode_revert(self, data: bytes) -> tuple[str | None, tuple[Any, ...]]:
        """``(error name, args)`` of revert ``data``; ``(None, ())`` when there is none."""
        if len(data) < 4:
            return None, ()
        selector, body = data[:4], data[4:]
        if selector == ERROR_STRING:
            return "Error", _decode(["string"], body)
        if selector == PANIC:
            return "Panic", _decode(["uint256"], body)
        spec = self.error_table.get(selector)
        if spec is None:
            return f"0x{selector.hex()}", (body,) if body else ()
        return spec.name, _decode(list(spec.types), body)


def _decode(types: list[str], body: bytes) -> tuple[Any, ...]:
    try:
        return tuple(abi_decode(types, body))
    except DecodingError:
        return (body,)
