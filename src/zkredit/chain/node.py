"""A development node: anvil from npm, run in the background by ``zkredit chain up``.

The binary comes from ``node_modules/@foundry-rs/anvil-<os>-<arch>`` (installed
by ``make setup``), or ``ZKREDIT_ANVIL_BIN``. The node's pid, port and URL are
kept in ``<state dir>/anvil.json`` and its output in ``anvil.log``, so a later
command can find it, report it and stop it. The chain id is 1337, as in the
seed's ``.env``.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from zkredit.chain.client import wait_for_node
from zkredit.chain.errors import ChainError, NodeBinaryMissing, NodeUnavailable
from zkredit.settings import project_root

DEV_CHAIN_ID = 1337
DEFAULT_PORT = 8545
_PACKAGES = {
    ("Linux", "x86_64"): "anvil-linux-amd64",
    ("Linux", "aarch64"): "anvil-linux-arm64",
    ("Darwin", "x86_64"): "anvil-darwin-amd64",
    ("Darwin", "arm64"): "anvil-darwin-arm64",
}


def anvil_binary(root: Path | None = None) -> Path:
    """The anvil executable; raises :class:`NodeBinaryMissing` with the fix."""
    override = os.environ.get("ZKREDIT_ANVIL_BIN")
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise NodeBinaryMissing(f"ZKREDIT_ANVIL_BIN={override} is not an executable file")
    package = _PACKAGES.get((platform.system(), platform.machine()), "anvil-linux-amd64")
    path = (root or project_root()) / "node_modules" / "@foundry-rs" / package / "bin" / "anvil"
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise NodeBinaryMissing(
        f"anvil is not installed ({path} is missing)",
        hint=f"Run `make setup` (npm ci installs @foundry-rs/{package}).",
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class NodeInfo:
    """A node started by :class:`AnvilNode`."""

    pid: int
    port: int
    url: str
    chain_id: int
    log: str
    started_at: float


class AnvilNode:
    """Starts, finds and stops one background anvil, tracked in ``state_dir``."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def info_path(self) -> Path:
        return self.state_dir / "anvil.json"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "anvil.log"

    def info(self) -> NodeInfo | None:
        """The recorded node, if its process is still alive."""
        try:
            info = NodeInfo(**json.loads(self.info_path.read_text()))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None
        if not _is_anvil(info.pid):
            self.info_path.unlink(missing_ok=True)
            return None
        return info

    def start(
        self,
        port: int = DEFAULT_PORT,
        *,
        host: str = "127.0.0.1",
        chain_id: int = DEV_CHAIN_ID,
        timeout: float = 15.0,
    ) -> tuple[NodeInfo, bool]:
        """Start anvil unless one is recorded; returns (node, started_now)."""
        running = self.info()
        if running is not None:
            return running, False
        binary = anvil_binary()
        if _port_busy(host, port):
            raise ChainError(
                f"port {port} on {host} is already in use",
                hint="Pick another with --port, or stop what listens there.",
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [str(binary), "--host", host, "--port", str(port), "--chain-id", str(chain_id)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the CLI process that started it
            )
        url = f"http://{host}:{port}"
        try:
            answered = wait_for_node(url, timeout=timeout)
        except NodeUnavailable as exc:
            self._kill(self._process.pid)
            raise ChainError(
                f"anvil did not answer at {url} within {timeout:.0f} s",
                hint=f"See its log: {self.log_path}",
            ) from exc
        info = NodeInfo(self._process.pid, port, url, answered, str(self.log_path), time.time())
        self.info_path.write_text(json.dumps(asdict(info), indent=1) + "\n")
        return info, True

    def stop(self, timeout: float = 10.0) -> NodeInfo | None:
        """Stop the recorded node; returns what was stopped (None: nothing ran)."""
        info = self.info()
        if info is None:
            return None
        self._kill(info.pid, timeout)
        self.info_path.unlink(missing_ok=True)
        return info

    def _kill(self, pid: int, timeout: float = 10.0) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
            return
        deadline = time.monotonic() + timeout
        while _is_anvil(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_anvil(pid):
            os.kill(pid, signal.SIGKILL)


def _is_anvil(pid: int) -> bool:
    """True when ``pid`` is a live anvil process (guards against a reused pid)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            raw = cmdline.read_bytes()
        except OSError:
            return False
        if not raw:  # a zombie
            return False
        return b"anvil" in raw.split(b"\0", 1)[0]
    return True  # no /proc (macOS): trust the pid file


def _port_busy(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0
