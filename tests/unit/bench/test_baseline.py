"""The plumbing of ``zkredit bench e2e --baseline-ref``: worktrees, driver, ratios (no timing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zkredit.bench.baseline import (
    KINDS,
    REPO_ROOT,
    BaselineError,
    driver_source,
    summarize,
    turn,
    worktree,
)
from zkredit.cli.main import app
from zkredit.errors import InputError


def _worktrees() -> str:
    return subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "list"],
                          capture_output=True, text=True, check=True).stdout


def test_ratios_are_of_pooled_p50s_and_per_round() -> None:
    samples = {"baseline": [[0.002] * 3, [0.004] * 3], "off": [[0.002] * 3, [0.004] * 3],
               "on": [[0.003] * 3, [0.006] * 3]}
    report = summarize("REF", "c" * 40, samples)
    assert report["rounds"] == 2 and report["requests_per_round"] == 3
    assert report["off_vs_baseline_p50"] == 1.0
    assert report["on_vs_baseline_p50"] == 1.5
    assert report["on_vs_off_p50"] == 1.5
    assert [r["on_vs_baseline_p50"] for r in report["per_round"]] == [1.5, 1.5]
    assert report["baseline_commit"] == "c" * 40


def test_every_kind_is_timed_first_in_turn() -> None:
    orders = [turn(list(KINDS), j) for j in range(2 * len(KINDS))]
    assert [o[0] for o in orders] == [*KINDS, *KINDS]
    assert all(sorted(o) == sorted(KINDS) for o in orders)


def test_the_driver_is_a_program_that_serves_until_its_stdin_closes() -> None:
    source = driver_source()
    compile(source, "<driver>", "exec")
    assert "LiveSystem(" in source and "sys.stdin.read()" in source


def test_a_worktree_is_the_commit_and_is_removed(tmp_path: Path) -> None:
    head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    with worktree("HEAD", tmp_path) as tree:
        assert tree.commit == head
        assert (tree.src / "zkredit" / "__init__.py").is_file()
        assert str(tree.path) in _worktrees()
    assert not tree.path.exists()
    assert str(tree.path) not in _worktrees()


def test_an_unknown_ref_names_how_to_find_the_baseline(tmp_path: Path) -> None:
    with pytest.raises(BaselineError) as caught, worktree("no-such-ref-zz", tmp_path):
        pass
    assert caught.value.hint and "src/zkredit/telemetry" in caught.value.hint


@pytest.mark.parametrize("args, says", [
    (["--current-ref", "HEAD"], "--current-ref needs --baseline-ref"),
    (["--no-telemetry-cost", "--baseline-ref", "HEAD"], "measure the telemetry cost"),
])
def test_refs_without_what_they_compare_are_refused(args: list[str], says: str) -> None:
    result = CliRunner().invoke(app, ["bench", "e2e", "--no-anvil", "--no-pyevm", *args])
    assert isinstance(result.exception, InputError)  # the CLI's error funnel prints it
    assert says in result.exception.message
