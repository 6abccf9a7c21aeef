"""The Node tools pinned in package.json: circom2, snarkjs.

They are used for compiling circuits, the trusted-setup ceremony and as an
independent oracle in tests. The product's proving path never needs them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zkredit.errors import ToolMissingError, ZKError
from zkredit.settings import project_root


@dataclass(frozen=True)
class NodeTools:
    """Locations of node and the npm-installed circuit tools."""

    node: str
    root: Path

    @classmethod
    def find(cls, node: str = "node", root: Path | None = None) -> NodeTools:
        """Locate node and ``node_modules``; raise :class:`ToolMissingError` if absent."""
        root = root or project_root()
        node_path = shutil.which(node)
        if node_path is None:
            raise ToolMissingError(
                f"{node!r} is not installed or not on PATH",
                hint="Install Node.js 20+, then run `make setup` to install the npm tools.",
            )
        tools = cls(node=node_path, root=root)
        for script in (tools.snarkjs_cli, tools.circom_cli):
            if not script.is_file():
                raise ToolMissingError(
                    f"npm tool missing: {script}",
                    hint="Run `make setup` (npm ci) in the project root.",
                )
        return tools

    @classmethod
    def available(cls) -> bool:
        try:
            cls.find()
        except ToolMissingError:
            return False
        return True

    @property
    def node_modules(self) -> Path:
        return self.root / "node_modules"

    @property
    def snarkjs_cli(self) -> Path:
        return self.node_modules / "snarkjs" / "build" / "cli.cjs"

    @property
    def circom_cli(self) -> Path:
        return self.node_modules / "circom2" / "cli.js"

    @property
    def circomlib(self) -> Path:
        return self.node_modules / "circomlib" / "circuits"

    def snarkjs(self, *args: str | Path, cwd: Path | None = None, input: str | None = None) -> str:
        """Run a snarkjs command and return its combined output.

        ``input`` is written to the process's stdin (the entropy prompt of
        ``contribute`` reads it there, so secrets never appear on argv).
        """
        return self._run([self.node, str(self.snarkjs_cli), *map(str, args)], cwd, input)

    def circom(self, *args: str | Path, cwd: Path | None = None) -> str:
        """Run the circom 2 compiler (WASM build from npm) and return its output."""
        return self._run([self.node, str(self.circom_cli), *map(str, args)], cwd)

    def _run(self, cmd: Sequence[str], cwd: Path | None, input: str | None = None) -> str:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
        out = proc.stdout + proc.stderr
        if proc.returncode != 0 or "[ERROR]" in out:
            tail = "\n".join(out.strip().splitlines()[-8:])
            raise ZKError(f"`{' '.join(Path(c).name for c in cmd[1:3])}` failed:\n{tail}")
        return out
