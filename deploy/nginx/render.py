"""Render ``nginx.conf`` from ``nginx.conf.template``.

``nginx.conf`` in this directory is the rendering with :data:`COMPOSE_DEFAULTS` (what
deploy/compose/docker-compose.prod.yml mounts), and a test keeps the two in sync. The
other values exist so a test, or an operator outside compose, can point the same
configuration at other upstreams, ports, certificates and writable directories:

    python deploy/nginx/render.py                    # rewrite nginx.conf
    python deploy/nginx/render.py --check            # exit 1 if nginx.conf is stale
    python deploy/nginx/render.py gateway=127.0.0.1:3000 https_listen=8443 -o my.conf
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf.template"
RENDERED = HERE / "nginx.conf"

COMPOSE_DEFAULTS: Mapping[str, str] = {
    "banner": "Generated from nginx.conf.template by render.py: edit the template, not this.",
    "gateway": "gateway:3000",
    "worker": "worker:3001",
    "credit": "credit:3002",
    "remittance": "remittance:3003",
    "receiver": "receiver:3004",
    "http_listen": "80",
    "https_listen": "443",
    "server_name": "_",
    "tls_certificate": "/etc/nginx/tls/tls.crt",
    "tls_certificate_key": "/etc/nginx/tls/tls.key",
    "temp_dir": "/tmp",
    "error_log": "stderr",
    "access_log": "/dev/stdout",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# A value is one nginx token: no whitespace, quotes, braces or semicolons to inject.
_SAFE_VALUE = re.compile(r"[^\s;{}'\"#]+")


class TemplateError(ValueError):
    """A placeholder has no value, a value is unknown, or a value is not one token."""


def render(
    overrides: Mapping[str, str] | None = None,
    *,
    legacy_http2: bool = False,
    template: str | None = None,
) -> str:
    """The configuration with :data:`COMPOSE_DEFAULTS` updated by ``overrides``.

    ``legacy_http2`` writes ``listen ... ssl http2`` instead of ``http2 on;`` for nginx
    older than 1.25.1 (Debian 12 ships 1.22), which does not know the directive.
    """
    values = dict(COMPOSE_DEFAULTS)
    unknown = sorted(set(overrides or {}) - set(values))
    if unknown:
        raise TemplateError(
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(values))}"
        )
    values.update(overrides or {})
    for key, value in values.items():
        if key != "banner" and not _SAFE_VALUE.fullmatch(value):
            raise TemplateError(f"{key}={value!r} is not a single nginx token")
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise TemplateError(f"the template uses {{{{{key}}}}}, which has no value")
        return values[key]

    text = _PLACEHOLDER.sub(substitute, text)
    if legacy_http2:
        text = _to_legacy_http2(text)
    return text


def _to_legacy_http2(text: str) -> str:
    directive = re.compile(r"^[ \t]*http2 on;\n", re.MULTILINE)
    listen = re.compile(r"^([ \t]*listen [^;\n]* ssl)( default_server;)$", re.MULTILINE)
    if len(directive.findall(text)) != 1 or len(listen.findall(text)) != 1:
        raise TemplateError("expected one `http2 on;` and one `listen ... ssl` to rewrite")
    return listen.sub(r"\1 http2\2", directive.sub("", text))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="*", metavar="KEY=VALUE")
    parser.add_argument("-o", "--output", type=Path, default=RENDERED)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument(
        "--legacy-http2", action="store_true", help="for nginx < 1.25.1 (no `http2 on;`)"
    )
    parser.add_argument("--list", action="store_true", help="print the settings and defaults")
    args = parser.parse_args(argv)
    overrides = dict(s.split("=", 1) for s in args.settings if "=" in s)
    if len(overrides) != len(args.settings):
        parser.error("settings are KEY=VALUE")
    if args.list:
        for key, value in COMPOSE_DEFAULTS.items():
            if key != "banner":
                print(f"{key}={value}")
        return 0
    try:
        text = render(overrides, legacy_http2=args.legacy_http2)
    except TemplateError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
