"""Packaged sample data (``zkredit/data/*.json``) and typed access to its JSON.

The only I/O in the domain core: reading files shipped inside the package via
:mod:`importlib.resources`. Every accessor names the place of a malformed value
(``corridors.json: corridors[2].routes.bank_transfer.pct_bps``) so a broken data
file is fixed in one look.
"""

from __future__ import annotations

import json
from importlib import resources

from zkredit.domain.errors import DataFileError

JsonObject = dict[str, object]


def read_packaged_json(name: str) -> object:
    """Parse ``zkredit/data/<name>``; raise :class:`DataFileError` if missing or not JSON."""
    resource = resources.files("zkredit") / "data" / name
    try:
        text = resource.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise DataFileError(f"packaged data file {name!r} is missing") from exc
    return parse_json(text, name)


def parse_json(text: str, where: str) -> object:
    """Parse JSON text; raise :class:`DataFileError` naming ``where`` on a syntax error."""
    try:
        parsed: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{where}: invalid JSON ({exc})") from exc
    return parsed


def as_object(value: object, where: str) -> JsonObject:
    """``value`` as a JSON object with string keys."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise DataFileError(f"{where}: expected an object. Got {type(value).__name__}")
    return value


def as_list(value: object, where: str) -> list[object]:
    """``value`` as a JSON array."""
    if not isinstance(value, list):
        raise DataFileError(f"{where}: expected an array. Got {type(value).__name__}")
    return value


def as_str(value: object, where: str) -> str:
    """``value`` as a non-empty JSON string."""
    if not isinstance(value, str) or not value:
        raise DataFileError(f"{where}: expected a non-empty string. Got {value!r}")
    return value


def as_int(value: object, where: str, *, minimum: int = 0) -> int:
    """``value`` as a JSON integer ≥ ``minimum`` (booleans and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataFileError(f"{where}: expected an integer. Got {value!r}")
    if value < minimum:
        raise DataFileError(f"{where}: expected an integer ≥ {minimum}. Got {value}")
    return value


def field(obj: JsonObject, key: str, where: str) -> object:
    """The value at ``obj[key]``; raise :class:`DataFileError` naming the path if absent."""
    if key not in obj:
        raise DataFileError(f"{where}: missing key {key!r}")
    return obj[key]
