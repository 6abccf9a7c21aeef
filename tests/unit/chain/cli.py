"""Running ``zkredit`` with the chain commands as a user does: a real process.

The commands live in ``zkredit.cli.chain`` and ``zkredit.cli.deploy``; until
``zkredit.cli.main`` registers them, the program below adds them (and does
nothing more once it does), so these tests run the real entry point either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PROGRAM = """
from zkredit.cli import chain, deploy, main
groups = {g.name for g in main.app.registered_groups}
commands = {c.name for c in main.app.registered_commands}
if "chain" not in groups:
    main.app.add_typer(chain.app, name="chain")
if "application" not in groups:
    main.app.add_typer(chain.application_app, name="application")
if "deploy" not in commands:
    main.app.command("deploy")(deploy.deploy)
if "attest" not in commands:
    main.app.command("attest")(chain.attest)
main.run()
"""


def zkredit(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``zkredit *args`` in a subprocess; settings come from ``env`` (not ``.env``)."""
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})},
    )
