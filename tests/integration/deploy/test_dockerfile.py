"""The Dockerfile, linted structurally (no Docker engine here) and by hadolint, and the
image's two helper scripts (secret files, health check) run for real."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.deploy.conftest import DEPLOY, ROOT, load_script

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and parser directives dropped."""
    out: list[Instruction] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        keyword, _, args = buffer.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = ""
    assert not buffer, "the Dockerfile ends inside a continued instruction"
    return out


def stages(instructions: list[Instruction]) -> dict[str, list[Instruction]]:
    named: dict[str, list[Instruction]] = {}
    current: list[Instruction] | None = None
    for ins in instructions:
        if ins.keyword == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", ins.args, re.IGNORECASE)
            assert match, f"line {ins.line}: every stage is named (FROM image AS name)"
            current = named.setdefault(match.group(2), [ins])
        elif current is not None:
            current.append(ins)
    return named


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    defaults = {}
    for ins in instructions:
        if ins.keyword == "ARG" and "=" in ins.args:
            key, value = ins.args.split("=", 1)
            defaults[key] = value
    return defaults


def expand(value: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], value)


def dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a match on a directory covers it."""
    excluded = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        body = body.strip("/")
        regex = re.escape(body).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, p) for p in prefixes):
            excluded = not negate
    return excluded


def ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def test_two_stages_runtime_on_python_311_slim(instructions: list[Instruction]) -> None:
    named = stages(instructions)
    assert list(named) == ["builder", "runtime"]
    args = arg_defaults(instructions)
    base = expand(named["runtime"][0].args.split()[0], args)
    assert base == "python:3.11-slim"
    builder_runs = " ".join(i.args for i in named["builder"] if i.keyword == "RUN")
    assert "pip wheel" in builder_runs and "/opt/venv" in " ".join(
        i.args for i in named["builder"]
    )
    copies = [i.args for i in named["runtime"] if i.keyword == "COPY"]
    assert any(c.startswith("--from=builder /opt/venv") for c in copies)


def test_runtime_runs_as_fixed_non_root_uid_before_entrypoint(
    instructions: list[Instruction],
) -> None:
    runtime = stages(instructions)["runtime"]
    args = arg_defaults(instructions)
    keywords = [i.keyword for i in runtime]
    users = [i for i in runtime if i.keyword == "USER"]
    assert len(users) == 1, "one USER, so nothing switches back to root"
    user, _, group = expand(users[0].args, args).partition(":")
    assert user.isdigit() and int(user) >= 1000, "a fixed numeric uid (runAsNonRoot checks it)"
    assert group.isdigit() and int(group) != 0
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    useradd = next(i.args for i in runtime if i.keyword == "RUN" and "useradd" in i.args)
    assert "${ZKREDIT_UID}" in useradd and args["ZKREDIT_UID"] == user


def test_entrypoint_execs_zkredit_and_healthcheck_probes_liveness(
    instructions: list[Instruction],
) -> None:
    runtime = stages(instructions)["runtime"]
    entrypoint = json.loads(next(i.args for i in runtime if i.keyword == "ENTRYPOINT"))
    assert entrypoint == ["tini", "--", "zkredit-entrypoint"]
    script = (DEPLOY / "docker" / "entrypoint.py").read_text()
    assert 'os.execvpe("zkredit", ["zkredit", *argv]' in script
    health = next(i.args for i in runtime if i.keyword == "HEALTHCHECK")
    assert json.loads(health.split("CMD", 1)[1]) == ["zkredit-healthcheck"]
    env = " ".join(i.args for i in runtime if i.keyword == "ENV")
    assert "HEALTHCHECK_URL=http://127.0.0.1:3000/health/live" in env
    assert "ZKREDIT_HOME=/opt/zkredit" in env


def test_every_copied_source_exists_and_survives_dockerignore(
    instructions: list[Instruction],
) -> None:
    patterns = ignore_patterns()
    sources: list[str] = []
    for ins in instructions:
        if ins.keyword != "COPY" or "--from=" in ins.args:
            continue
        words = [w for w in shlex.split(ins.args) if not w.startswith("--")]
        sources += words[:-1]
    assert sources, "no COPY from the build context?"
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"COPY {source}: not in the repository"
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        kept = [f for f in files if not dockerignore_excludes(str(f.relative_to(ROOT)), patterns)]
        assert kept, f"COPY {source}: .dockerignore excludes all of it"


def test_dockerignore_keeps_what_startup_rehashes_and_drops_the_rest() -> None:
    patterns = ignore_patterns()
    manifest = json.loads((ROOT / "circuits" / "keys" / "MANIFEST.json").read_text())
    needed = [f"circuits/{rel}" for rel in manifest["sources"]]
    kinds = {"r1cs": ".r1cs", "wasm": ".wasm", "zkey": ".zkey", "vkey": ".vkey.json"}
    for name, entry in manifest["circuits"].items():
        needed += [f"circuits/keys/{name}{kinds[k]}" for k in entry if k in kinds]
    needed += ["circuits/circuits.json", "circuits/keys/MANIFEST.json", "pyproject.toml"]
    for rel in needed:
        assert (ROOT / rel).is_file(), rel
        assert not dockerignore_excludes(rel, patterns), f"{rel} is needed in the image"
    for rel in [
        "circuits/keys/pot14_final.ptau",  # ceremony input, 18 MB, never read at runtime
        ".env",
        "node_modules/snarkjs/package.json",
        ".venv/bin/python",
        "deployments/1337.json",
        "tests/conftest.py",
        "src/zkredit/__pycache__/x.pyc",
    ]:
        assert dockerignore_excludes(rel, patterns), f"{rel} must stay out of the image"


def _hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def test_hadolint_passes() -> None:
    binary = _hadolint()
    require(binary is not None, "hadolint is not installed (pip install -e '.[dev]')")
    assert binary is not None
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the entrypoint's *_FILE secrets: one valid baseline, then each way to get it wrong ---

entrypoint = load_script(DEPLOY / "docker" / "entrypoint.py")


def test_secret_files_become_variables(tmp_path: Path) -> None:
    (tmp_path / "jwt").write_text("s3cret\n")
    (tmp_path / "db").write_text("postgresql://u:p@db:5432/z")
    env = entrypoint.resolve_secret_files(
        {"JWT_SECRET_FILE": str(tmp_path / "jwt"), "DATABASE_URL_FILE": str(tmp_path / "db"),
         "LOG_LEVEL": "info", "ZKREDIT_KEYSTORE_PASSWORD_FILE": "/run/secrets/k"})
    assert env == {"JWT_SECRET": "s3cret", "DATABASE_URL": "postgresql://u:p@db:5432/z",
                   "LOG_LEVEL": "info",
                   # the app reads this one itself: it stays a path
                   "ZKREDIT_KEYSTORE_PASSWORD_FILE": "/run/secrets/k"}


@pytest.mark.parametrize(
    ("environ", "content", "error"),
    [
        ({"JWT_SECRET": "x", "JWT_SECRET_FILE": "{f}"}, "y", "both JWT_SECRET and JWT_SECRET_FILE"),
        ({"ENCRYPTION_KEY_FILE": "{f}.missing"}, "y", "cannot read it"),
        ({"PRIVATE_KEY_FILE": "{f}"}, "\n", "the file is empty"),
    ],
)
def test_secret_file_mistakes_are_refused(
    tmp_path: Path, environ: dict[str, str], content: str, error: str
) -> None:
    secret = tmp_path / "secret"
    secret.write_text(content)
    env = {k: v.format(f=secret) for k, v in environ.items()}
    with pytest.raises(entrypoint.SecretFileError, match=error):
        entrypoint.resolve_secret_files(env)


def test_entrypoint_exits_78_naming_the_problem(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "docker" / "entrypoint.py"), "--version"],
        env={"JWT_SECRET_FILE": str(tmp_path / "absent"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 78
    assert result.stderr.startswith("Error: JWT_SECRET_FILE=")


@pytest.mark.slow
def test_healthcheck_against_a_live_gateway() -> None:
    from zkredit.agents.gateway.app import create_app
    from zkredit.agents.launcher import ThreadedServer, free_port

    health = load_script(DEPLOY / "docker" / "healthcheck.py")
    server = ThreadedServer(create_app(lambda: {}), free_port()).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert health.check(f"{base}/health") == (True, f"{base}/health: HTTP 200")
        ok, message = health.check(f"{base}/no-such-page")
        assert not ok and message.endswith("HTTP 404")
        assert health.main([f"{base}/health"]) == 0
    finally:
        server.stop()
    ok, _ = health.check(f"http://127.0.0.1:{free_port()}/health/live", timeout=1.0)
    assert not ok
