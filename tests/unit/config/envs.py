"""Helpers for settings tests: a clean process environment and a private working
directory, so neither the developer's shell nor a ``.env`` in the checkout leaks in."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from zkredit.settings import AREAS, env_names

SHIPPED = Path(__file__).resolve().parents[3] / "environments"

# Every variable a settings field reads, plus the ones that choose files.
SETTINGS_VARIABLES = sorted(
    {n for cls in AREAS.values() for f in cls.model_fields for n in env_names(cls, f)}
    | {"ZKREDIT_ENV_FILE", "ZKREDIT_ENVIRONMENTS_DIR", "SEPOLIA_RPC_URL", "MAINNET_RPC_URL"}
)


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Unset every settings variable and work in ``tmp_path``; returns ``tmp_path``."""
    for name in SETTINGS_VARIABLES:
        for key in [k for k in os.environ if k.upper() == name.upper()]:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_environment(tmp_path: Path, name: str, text: str) -> Path:
    """``tmp_path/environments/<name>.yml`` holding ``text`` (dedented)."""
    directory = tmp_path / "environments"
    directory.mkdir(exist_ok=True)
    path = directory / f"{name}.yml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def use_environments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Read environments from ``tmp_path/environments`` instead of the checkout."""
    directory = tmp_path / "environments"
    directory.mkdir(exist_ok=True)
    monkeypatch.setenv("ZKREDIT_ENVIRONMENTS_DIR", str(directory))
    return directory
