#!/opt/venv/bin/python
"""Container entry point: read ``*_FILE`` secrets into the environment, then exec zkredit.

Docker and compose mount secrets as files under ``/run/secrets``; Kubernetes can do the
same. For each variable in :data:`SECRET_VARIABLES`, ``NAME_FILE=/path`` sets ``NAME`` to
the file's content (one trailing newline stripped), so the secret never appears in the
compose file, ``docker inspect`` or the process's command line. Setting both ``NAME`` and
``NAME_FILE`` is refused: which one wins would be a guess.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

SECRET_VARIABLES = (
    "JWT_SECRET",
    "ENCRYPTION_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "RPC_URL",
    "PRIVATE_KEY",
)

EX_CONFIG = 78  # sysexits.h: configuration error


class SecretFileError(Exception):
    """A ``*_FILE`` variable names a file that cannot be used."""


def resolve_secret_files(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``environ`` with every ``NAME_FILE`` replaced by ``NAME``."""
    env = dict(environ)
    for name in SECRET_VARIABLES:
        file_var = f"{name}_FILE"
        path = env.pop(file_var, "")
        if not path:
            continue
        if env.get(name):
            raise SecretFileError(f"both {name} and {file_var} are set: unset one of them")
        try:
            value = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretFileError(f"{file_var}={path}: cannot read it ({exc.strerror})") from None
        value = value.removesuffix("\n").removesuffix("\r")
        if not value:
            raise SecretFileError(f"{file_var}={path}: the file is empty")
        env[name] = value
    return env


def main(argv: list[str]) -> None:
    try:
        env = resolve_secret_files(os.environ)
    except SecretFileError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(EX_CONFIG) from None
    os.execvpe("zkredit", ["zkredit", *argv], env)


if __name__ == "__main__":
    main(sys.argv[1:])
