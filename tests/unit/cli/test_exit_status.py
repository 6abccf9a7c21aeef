"""A command that ends with ``typer.Exit(N)`` exits N (``zkredit demo`` exited 0 on a
failed scenario: Click hands the code back instead of exiting when not standalone)."""

from __future__ import annotations

import pytest
import typer

from zkredit.cli import main


def test_a_commands_exit_code_reaches_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = typer.Typer()

    @probe.command("fails")
    def fails() -> None:
        raise typer.Exit(3)

    @probe.command("works")
    def works() -> None:
        pass

    monkeypatch.setattr(main, "app", probe)
    monkeypatch.setattr("sys.argv", ["zkredit", "fails"])
    with pytest.raises(SystemExit) as failed:
        main.run()
    assert failed.value.code == 3
    monkeypatch.setattr("sys.argv", ["zkredit", "works"])
    main.run()  # success: no SystemExit at all
