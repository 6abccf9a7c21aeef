"""Finding anvil, tracking the node, and the CLI's errors when there is no chain."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.unit.chain.cli import zkredit
from zkredit.chain.errors import NodeBinaryMissing
from zkredit.chain.node import AnvilNode, anvil_binary
from zkredit.cli.output import ExitStatus


def test_missing_anvil_says_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(NodeBinaryMissing, match="anvil is not installed") as info:
        anvil_binary(tmp_path)
    assert info.value.hint and "make setup" in info.value.hint


def test_anvil_bin_override_must_be_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKREDIT_ANVIL_BIN", str(tmp_path / "nope"))
    with pytest.raises(NodeBinaryMissing, match="ZKREDIT_ANVIL_BIN"):
        anvil_binary()


def test_a_stale_pid_file_is_no_node(tmp_path: Path) -> None:
    node = AnvilNode(tmp_path)
    info = {"pid": os.getpid(), "port": 1, "url": "http://127.0.0.1:1", "chain_id": 1337,
            "log": "x", "started_at": 0.0}  # fmt: skip
    node.info_path.write_text(json.dumps(info))  # this pid is python, not anvil
    assert node.info() is None and not node.info_path.exists()
    assert node.stop() is None


def test_cli_chain_up_without_anvil_is_a_tool_error(tmp_path: Path) -> None:
    r = zkredit("chain", "up", env={"ZKREDIT_HOME": str(tmp_path),
                                    "ZKREDIT_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    assert r.returncode == ExitStatus.TOOL_MISSING, r.stderr
    assert "anvil is not installed" in r.stderr and "make setup" in r.stderr


def test_cli_without_a_chain_says_how_to_get_one(tmp_path: Path) -> None:
    env = {"ZKREDIT_DATA_DIR": str(tmp_path), "RPC_URL": ""}
    r = zkredit("deploy", "--deployments-dir", str(tmp_path), env=env)
    assert r.returncode == ExitStatus.ERROR
    assert "no chain to use" in r.stderr and "zkredit chain up" in r.stderr
