"""The committed circomlibjs fixture is exactly what tools/vectors/gen_vectors.mjs produces."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "tools" / "vectors" / "gen_vectors.mjs"
FIXTURE = ROOT / "tests" / "fixtures" / "circomlibjs_vectors.json"


@pytest.mark.node
def test_fixture_is_regenerated_byte_for_byte() -> None:
    node = shutil.which("node")
    require(node is not None, "node not installed: cannot regenerate circomlibjs vectors")
    assert node is not None
    for package in ("circomlibjs", "blake-hash"):
        require(
            (ROOT / "node_modules" / package / "package.json").is_file(),
            f"node_modules/{package} missing: run `npm ci` to check the vectors",
        )
    result = subprocess.run(
        [node, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == FIXTURE.read_text(), (
        "tests/fixtures/circomlibjs_vectors.json is stale: regenerate it with "
        "`node tools/vectors/gen_vectors.mjs > tests/fixtures/circomlibjs_vectors.json`"
    )
