"""The effective settings as an operator may see them: every value, where it came
from, and no secret.

A secret is shown as ``••••(set)`` (or ``••••(placeholder)``), never as its value:
pydantic ``SecretStr`` values, string fields whose name says secret, password or
key, and the password inside a URL (``postgresql://user:••••@host/db``).
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr

if TYPE_CHECKING:
    from zkredit.settings import Settings

MASK = "••••"
_SECRET_NAME = re.compile(r"secret|password|passwd|token|(^|_)key$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` holds a secret when its value is a string."""
    return bool(_SECRET_NAME.search(name))


def masked_secret(value: str) -> str:
    """What to print for a secret: whether it is set, never what it is."""
    from zkredit.settings import PLACEHOLDER_SECRETS

    if value.lower() in PLACEHOLDER_SECRETS:
        return f"{MASK}(placeholder)"
    if re.fullmatch(r"(0x)?0+", value):
        return f"{MASK}(zero key)"
    return f"{MASK}(set)"


def mask_url(value: str) -> str:
    """``value`` with the password of its userinfo replaced; other strings unchanged."""
    if "://" not in value or "@" not in value:
        return value
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return value
    if not password:
        return value
    netloc = parts.netloc.rpartition("@")
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{netloc[2]}"))


def mask_value(name: str, value: Any) -> Any:
    """A JSON-ready, secret-free rendering of one value."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return masked_secret(value.get_secret_value())
    if isinstance(value, BaseModel):
        return mask_model(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return masked_secret(value) if is_secret_name(name) else mask_url(value)
    if isinstance(value, dict | list):
        return mask_tree(value)
    return value


def mask_model(model: BaseModel) -> dict[str, Any]:
    """A model's fields (by alias), masked; paths stay paths, so ``tls.key`` shows."""
    out = {}
    for name, info in type(model).model_fields.items():
        out[info.alias or name] = mask_value(name, getattr(model, name))
    return out


def mask_tree(data: Any, name: str = "") -> Any:
    """``data`` (dicts, lists, scalars) with every secret masked."""
    if isinstance(data, dict):
        return {k: mask_tree(v, str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_tree(v, name) for v in data]
    return mask_value(name, data)


def effective(settings: Settings) -> dict[str, Any]:
    """Every setting as ``{area: {field: {value, variable, source}}}``, masked."""
    from zkredit.settings import AREAS, env_names

    out: dict[str, Any] = {}
    for area, cls in AREAS.items():
        model = getattr(settings, area)
        rows = {}
        for field in cls.model_fields:
            choices = env_names(cls, field)
            source = settings.source_of(f"{area}.{field}")
            rows[field] = {
                "value": mask_value(field, getattr(model, field)),
                "variable": "/".join(str(c) for c in choices),
                "source": str(source),
                "source_kind": source.kind,
            }
        out[area] = rows
    return out


def report(settings: Settings) -> dict[str, Any]:
    """What ``zkredit config show --json`` prints."""
    from zkredit.config.loader import display_path

    path = settings.environment_file
    document = settings.environment
    return {
        "environment": settings.app.env.value,
        "file": display_path(path) if path else None,
        "settings": effective(settings),
        "document": mask_value("document", document) if document else None,
        "problems": settings.safety_problems(),
    }
