"""Finding, reading and validating ``environments/<name>.yml``.

Every failure is a :class:`~zkredit.errors.ConfigurationError` naming the file,
the key's path and its line, and, for an unknown key, the closest known key.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from zkredit.config.document import EnvironmentDocument, EnvironmentKind
from zkredit.config.interpolation import Lookup, interpolate
from zkredit.errors import ConfigurationError

KINDS: tuple[str, ...] = get_args(EnvironmentKind)


@dataclass(frozen=True)
class LoadedEnvironment:
    """A validated document, where it came from, and which kind of environment it is."""

    document: EnvironmentDocument
    path: Path
    kind: str

    @property
    def shown_path(self) -> str:
        return display_path(self.path)


def environments_dir(root: Path) -> Path:
    """``ZKREDIT_ENVIRONMENTS_DIR``, else ``<root>/environments``."""
    configured = os.environ.get("ZKREDIT_ENVIRONMENTS_DIR")
    return Path(configured) if configured else root / "environments"


def available(directory: Path) -> list[str]:
    """The environment names defined in ``directory``."""
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.yml"))


def locate(name: str, directory: Path) -> Path | None:
    """The document for ``name``: a path to a ``.yml`` file, or ``<directory>/<name>.yml``.

    A known kind (development, test, staging, production) without a file is
    ``None``: defaults, ``.env`` and the environment then say everything. Any other
    name must have a file.
    """
    if name.endswith((".yml", ".yaml")) or os.sep in name or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise ConfigurationError(
                f"environment file {name} does not exist",
                hint="Pass --env NAME for environments/NAME.yml, or the path of a .yml file.",
            )
        return path
    path = directory / f"{name}.yml"
    if path.is_file():
        return path
    if name in KINDS:
        return None
    names = sorted({*available(directory), *KINDS})
    close = [n for n in names if n.startswith(name)] or difflib.get_close_matches(name, names, n=1)
    raise ConfigurationError(
        f"unknown environment {name!r}: there is no {display_path(path)}",
        hint=(f"Did you mean {close[0]!r}? " if close else "")
        + f"Known environments: {', '.join(names)}.",
    )


def load_document(path: Path, lookup: Lookup) -> LoadedEnvironment:
    """Read, interpolate and validate one environment document."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read {shown}: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigurationError(
            f"{shown} is not valid YAML{at}: {problem}",
            hint="Check the indentation and quoting near that line.",
        ) from exc
    if not isinstance(raw, dict):
        raise ConfigurationError(
            f"{shown} must be a mapping of keys (name, services, security, ...)",
            hint="See environments/development.yml for the shape.",
        )
    data = interpolate(raw, lookup, where=shown)
    try:
        document = EnvironmentDocument.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(shown, text, exc) from None
    kind = document.environment or path.stem
    if kind not in KINDS:
        raise ConfigurationError(
            f"{shown} does not say which kind of environment it is",
            hint=f"Add `environment: <kind>` with kind one of {', '.join(KINDS)}.",
        )
    return LoadedEnvironment(document, path, kind)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- schema errors -------------------------------------------------------------------


def _schema_error(shown: str, text: str, exc: ValidationError) -> ConfigurationError:
    problems = [_describe(err, text) for err in exc.errors()]
    head = problems[0] if len(problems) == 1 else f"{len(problems)} problems"
    body = "" if len(problems) == 1 else ":\n  " + "\n  ".join(problems)
    return ConfigurationError(
        f"{shown}: {head}{body}",
        hint="Each section and key is listed in environments/development.yml "
        "(schema: zkredit.config.document).",
    )


def _describe(err: Any, text: str) -> str:
    loc = tuple(str(p) for p in err["loc"])
    dotted = ".".join(loc) or "<top>"
    line = _line_of(text, loc)
    at = f" (line {line})" if line else ""
    if err["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        suggestion = ".".join((*loc[:-1], close[0])) if close else None
        where = ".".join(loc[:-1]) or "the top level"
        msg = f"unknown key {dotted!r}{at}"
        if suggestion:
            return f"{msg}: did you mean {suggestion!r}?"
        return f"{msg}: {where} takes {', '.join(known)}"
    if err["type"] == "missing":
        return f"{dotted} is required{at}"
    got = err.get("input")
    shown_input = "" if isinstance(got, dict | list) else f" (got {got!r})"
    return f"{dotted}{at}: {err['msg']}{shown_input}"


def _known_keys(loc: tuple[str, ...]) -> list[str]:
    model: type[BaseModel] = EnvironmentDocument
    for part in loc:
        field = _field(model, part)
        nested = _model_of(field.annotation) if field is not None else None
        if nested is None:
            return []
        model = nested
    return [f.alias or name for name, f in model.model_fields.items()]


def _field(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _line_of(text: str, loc: tuple[str, ...]) -> int | None:
    """The 1-based line of the key at ``loc``, from the YAML node tree."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                line, node = key.start_mark.line + 1, value
                break
        else:
            break
    return line
