"""Fixtures of the operations tools' tests: the session's anvil node, and how to run the
CLI against a :class:`~zkredit.demo.system.LiveSystem` as an operator would (environment
variables, a subprocess, its real exit status)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.chain.conftest import anvil_url  # noqa: F401
from zkredit.demo.system import LiveSystem

PORT_VARS = {"gateway": "PORT", "worker": "WORKER_AGENT_PORT", "credit": "CREDIT_AGENT_PORT",
             "remittance": "REMITTANCE_AGENT_PORT", "receiver": "RECEIVER_AGENT_PORT"}


def system_env(system: LiveSystem, **extra: str) -> dict[str, str]:
    """The environment variables that point `zkredit` at this system's services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZKREDIT_", "DATABASE_",
                                                                      "REDIS_", "RPC_"))}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "ZKREDIT_ENV": "development",
        "ZKREDIT_DATA_DIR": str(system.data_dir),
        "ZKREDIT_DEPLOYMENTS_DIR": str(system.data_dir / "chain"),
        "COLUMNS": "200",
        **{var: str(system.ports[name]) for name, var in PORT_VARS.items()},
    })
    if system.rpc_url:
        env["RPC_URL"] = system.rpc_url
    if system.database_url:
        env["DATABASE_URL"] = system.database_url
    if system.redis_url:
        env["REDIS_URL"] = system.redis_url
    env.update(extra)
    return env


def zkredit(args: list[str], env: dict[str, str], cwd: Path,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zkredit.cli.main", *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)
