"""``zkredit config``: the effective settings of an environment, and whether it may run.

``show`` prints every setting with the source it came from (environment file,
``.env``, environment variable, or default), secrets masked. ``check`` exits
non-zero listing every reason the environment is unsafe. ``list`` names the
environments defined in ``environments/``.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from zkredit.cli.output import console
from zkredit.config.loader import available, display_path, environments_dir
from zkredit.config.view import report
from zkredit.errors import ConfigurationError
from zkredit.settings import load_settings, project_root

app = typer.Typer(
    help=(
        "Environments: effective settings and safety checks.\n\n"
        "Settings come from environments/<env>.yml, then .env, then environment "
        "variables (the last wins).\n\n"
        "Examples:\n\n"
        "  zkredit config show --env test\n\n"
        "  zkredit config show --env production --json\n\n"
        "  JWT_SECRET=... zkredit config check --env staging"
    ),
    no_args_is_help=True,
)

ENV = typer.Option(
    None,
    "--env",
    "-e",
    help=(
        "Environment: a name in environments/ (development, test, staging, production) "
        "or the path of a .yml file. Default: ZKREDIT_ENV, else NODE_ENV, else development."
    ),
)


@app.command("show")
def show(
    env: str | None = ENV,
    as_json: bool = typer.Option(False, "--json", help="Print JSON (settings, document)."),
) -> None:
    """Print the effective settings and where each came from; secrets are masked.

    A secret (JWT_SECRET, ENCRYPTION_KEY, PRIVATE_KEY, the keystore password, a
    password inside a URL) shows as ••••(set) or ••••(placeholder), never its value.

    Examples:

      zkredit config show                      # ZKREDIT_ENV, else development

      zkredit config show --env production --json | jq .settings.security
    """
    settings = load_settings(check=False, env=env)
    data = report(settings)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    file = data["file"] or "none (defaults, .env and environment variables only)"
    console.print(
        f"[bold]environment[/] {data['environment']}    [bold]file[/] {file}", highlight=False
    )
    table = Table(show_edge=False, pad_edge=False)
    for column in ("setting", "value", "source", "variable"):
        table.add_column(column, overflow="fold")
    for area, rows in data["settings"].items():
        for field, row in rows.items():
            value = row["value"]
            shown = "(not set)" if value is None else _text(value)
            source = row["source"]
            if row["source_kind"] == "file":  # the file is in the heading
                source = "file " + source.rpartition(" ")[2]
            table.add_row(f"{area}.{field}", shown, source, row["variable"])
    console.print(table, highlight=False)
    if data["problems"]:
        console.print(
            f"[yellow]{len(data['problems'])} safety problem(s)[/]: "
            f"run `zkredit config check --env {data['environment']}`",
            highlight=False,
        )


@app.command("check")
def check(
    env: str | None = ENV,
    deployer: bool = typer.Option(
        False, "--deployer", help="Also check PRIVATE_KEY, the key `zkredit deploy` signs with."
    ),
) -> None:
    """Exit non-zero, listing every problem, when the environment is unsafe to run.

    Outside development: placeholder JWT_SECRET or ENCRYPTION_KEY, and
    ZK_SECURITY_LEVEL=development. In staging and production also: LOG_LEVEL=debug,
    TLS disabled, and no keystore password. The exit status is 7 on any problem.

    Examples:

      zkredit config check --env test

      ZKREDIT_KEYSTORE_PASSWORD_FILE=/run/secrets/pw zkredit config check --env production
    """
    settings = load_settings(check=False, env=env)
    problems = settings.safety_problems()
    if deployer:
        problems += settings.deployer_problems()
    name = settings.app.env.value
    file = display_path(settings.environment_file) if settings.environment_file else "no file"
    if problems:
        listed = "\n  - ".join(problems)
        raise ConfigurationError(
            f"{len(problems)} problem(s) in environment {name!r} ({file}):\n  - {listed}",
            hint="Fix each setting named above; `zkredit config show` says where each came from.",
        )
    console.print(f"environment {name!r} ({file}): no problems", highlight=False)


@app.command("list")
def list_environments() -> None:
    """List the environments defined in environments/ (or ZKREDIT_ENVIRONMENTS_DIR)."""
    directory = environments_dir(project_root())
    names = available(directory)
    if not names:
        raise ConfigurationError(
            f"no environments in {directory.resolve()}",
            hint="Create environments/<name>.yml, or set ZKREDIT_ENVIRONMENTS_DIR.",
        )
    for name in names:
        console.print(f"{name}\t{display_path(directory / f'{name}.yml')}", highlight=False)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
