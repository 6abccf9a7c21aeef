"""``${VAR}`` references in environment documents, resolved from the environment.

``${VAR}`` is the value of ``VAR`` and an error when it is unset or empty;
``${VAR:-default}`` falls back to ``default``; ``$$`` is a literal ``$``. A value
that is nothing but references and resolves to the empty string becomes ``None``
("not set"), so ``rpc_url: ${SEPOLIA_RPC_URL:-}`` leaves the setting to its default.
Only string values are interpolated, never keys, and the result is not parsed again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from zkredit.errors import ConfigurationError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

Lookup = Callable[[str], str | None]


def interpolate(data: Any, lookup: Lookup, *, where: str) -> Any:
    """``data`` (parsed YAML) with every reference in its string values resolved.

    ``where`` names the file in error messages.
    """
    return _walk(data, lookup, where, ())


def chain_lookup(*mappings: Mapping[str, str | None]) -> Lookup:
    """A lookup that tries each mapping in turn; empty values count as unset."""

    def lookup(name: str) -> str | None:
        for mapping in mappings:
            value = mapping.get(name)
            if value:
                return value
        return None

    return lookup


def _walk(data: Any, lookup: Lookup, where: str, path: tuple[str, ...]) -> Any:
    if isinstance(data, dict):
        return {k: _walk(v, lookup, where, (*path, str(k))) for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v, lookup, where, (*path, str(i))) for i, v in enumerate(data)]
    if isinstance(data, str) and "$" in data:
        return _resolve(data, lookup, where, ".".join(path) or "<top>")
    return data


def _resolve(text: str, lookup: Lookup, where: str, key: str) -> str | None:
    out: list[str] = []
    literal = False  # any text that is not a reference
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "$":
            out.append(ch)
            literal = True
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt == "$":
            out.append("$")
            literal = True
            i += 2
            continue
        if nxt != "{":
            out.append("$")
            literal = True
            i += 1
            continue
        end = text.find("}", i + 2)
        if end < 0:
            raise _malformed(where, key, text[i:])
        out.append(_reference(text[i + 2 : end], lookup, where, key))
        i = end + 1
    value = "".join(out)
    return None if value == "" and not literal else value


def _reference(body: str, lookup: Lookup, where: str, key: str) -> str:
    name, sep, default = body.partition(":-")
    if not _NAME.match(name):
        raise _malformed(where, key, "${" + body + "}")
    value = lookup(name)
    if value:
        return value
    if sep:
        return default
    raise ConfigurationError(
        f"{where}: {key} uses ${{{name}}}, but {name} is not set",
        hint=f"Set {name} in the environment or .env, or give a default: ${{{name}:-default}}.",
    )


def _malformed(where: str, key: str, fragment: str) -> ConfigurationError:
    return ConfigurationError(
        f"{where}: {key} has a malformed reference {fragment!r}",
        hint="Write ${NAME} or ${NAME:-default}; write $$ for a literal $.",
    )
