"""Validating what other agents and callers send: envelope payloads and wire values.

Every handler parses its payload with :func:`parse_payload` before reading a key,
so a missing key, a wrong type or an out-of-range value is the sender's error
(:class:`InvalidPayload`, 422) instead of a ``KeyError`` or a database overflow
(500).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, StrictInt, ValidationError, WithJsonSchema

from zkredit.domain.money import MAX_MINOR
from zkredit.errors import InputError
from zkredit.zk.field import from_decimal


class InvalidPayload(InputError):
    """Raised when an envelope payload does not match its schema."""

    http_status = 422


M = TypeVar("M", bound=BaseModel)


def parse_payload(model: type[M], payload: Mapping[str, Any]) -> M:
    """Validate an envelope payload; raise :class:`InvalidPayload` naming the first problem."""
    try:
        return model.model_validate(dict(payload))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        raise InvalidPayload(f"{where}: {first.get('msg', 'invalid')}") from None


MinorAmount = Annotated[StrictInt, Field(gt=0, le=MAX_MINOR)]
"""A positive amount in minor units that every store can hold (JSON integers only)."""

LaxMinorAmount = Annotated[int, Field(gt=0, le=MAX_MINOR)]
""":data:`MinorAmount` for the worker's own HTTP API, which accepts ``"100"`` too."""

FieldDecimal = Annotated[
    int, BeforeValidator(from_decimal),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]{1,78}$"}),
]
"""A BN254 field element, sent as the decimal string circom JSON uses; parsed to an int."""

WalletAddress = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
HexSignature = Annotated[str, Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$")]
"""A 65-byte ECDSA signature (r, s, v) in hex."""
