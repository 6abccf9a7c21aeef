"""Issuer-signed credentials.

A credential is ``[typeTag, subject, *attributes]`` as field elements; the
issuer signs ``Poseidon(fields)`` with EdDSA-Poseidon. The subject is the
holder's identity commitment ``Poseidon(identitySecret)``. Each type has a
schema giving the attribute order (which the circuit fixes) and the bit width
each attribute must fit, so a value the circuit would reject (negative, 2^64 or
more, not an integer) is refused here with a message naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from zkredit.errors import EncodingError, FieldRangeError, InputError, SignatureError
from zkredit.zk.babyjub import Point
from zkredit.zk.eddsa import IssuerKey, Signature, verify_poseidon
from zkredit.zk.field import FieldElement, from_decimal, to_field
from zkredit.zk.poseidon import poseidon


class CredentialType(IntEnum):
    """Credential type tags; the value is the first signed field."""

    INCOME = 1
    CREDIT_HISTORY = 2
    COLLATERAL = 3
    KYC = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def circuit(self) -> str:
        return "identity" if self is CredentialType.KYC else self.label

    @classmethod
    def parse(cls, text: str) -> CredentialType:
        key = text.strip().lower().replace("-", "_")
        for member in cls:
            if key in (member.label, member.circuit):
                return member
        names = ", ".join(m.label for m in cls)
        raise InputError(f"unknown credential type {text!r}; choose one of {names}")


@dataclass(frozen=True)
class Attr:
    """One attribute of a schema: name, bit width, and how many values (1 = scalar)."""

    name: str
    bits: int
    count: int = 1


SCHEMAS: dict[CredentialType, tuple[Attr, ...]] = {
    CredentialType.INCOME: (
        Attr("currency", 16),
        Attr("monthlyIncome", 64, count=6),
        Attr("employmentStartMonth", 32),
    ),
    CredentialType.CREDIT_HISTORY: (
        Attr("score", 16),
        Attr("historyMonths", 32),
        Attr("defaults", 32),
        Attr("latePayments", 32),
        Attr("debtRatioBps", 32),
    ),
    CredentialType.COLLATERAL: (
        Attr("currency", 16),
        Attr("assetValue", 64),
        Attr("assetType", 16),
        Attr("lienFlag", 1),
        Attr("valuationDay", 32),
    ),
    CredentialType.KYC: (
        Attr("birthDate", 32),
        Attr("jurisdiction", 16),
        Attr("kycLevel", 8),
    ),
}

AttrValue = int | tuple[int, ...]


def _check_value(ctype: CredentialType, attr: Attr, value: object) -> int:
    where = f"{ctype.label}.{attr.name}"
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise InputError(f"{where} must be an integer. Got {value!r}")
    if value < 0:
        raise FieldRangeError(f"{where} must not be negative. Got {value}")
    if value >= 1 << attr.bits:
        raise FieldRangeError(f"{where} must be below 2^{attr.bits}. Got {value}")
    return value


@dataclass(frozen=True)
class Credential:
    """The unsigned content of a credential."""

    type: CredentialType
    subject: FieldElement
    attributes: Mapping[str, AttrValue]

    @classmethod
    def build(
        cls, ctype: CredentialType, subject: int, attributes: Mapping[str, Any]
    ) -> Credential:
        """Validate ``attributes`` against the type's schema."""
        schema = SCHEMAS[ctype]
        names = {a.name for a in schema}
        missing = sorted(names - set(attributes))
        unknown = sorted(set(attributes) - names)
        if missing:
            raise InputError(f"{ctype.label} credential is missing: {', '.join(missing)}")
        if unknown:
            raise InputError(
                f"{ctype.label} credential has unknown field(s): {', '.join(unknown)}; "
                f"expected {', '.join(a.name for a in schema)}"
            )
        clean: dict[str, AttrValue] = {}
        for attr in schema:
            raw = attributes[attr.name]
            if attr.count == 1:
                clean[attr.name] = _check_value(ctype, attr, raw)
            else:
                if not isinstance(raw, (list, tuple)) or len(raw) != attr.count:
                    raise InputError(
                        f"{ctype.label}.{attr.name} must be a list of {attr.count} integers"
                    )
                clean[attr.name] = tuple(_check_value(ctype, attr, v) for v in raw)
        return cls(ctype, to_field(subject, name="subject"), clean)

    def fields(self) -> list[int]:
        out = [int(self.type), int(self.subject)]
        for attr in SCHEMAS[self.type]:
            value = self.attributes[attr.name]
            out.extend(value if isinstance(value, tuple) else (value,))
        return out

    def hash(self) -> FieldElement:
        return poseidon(self.fields())

    def get(self, name: str) -> int:
        value = self.attributes[name]
        if isinstance(value, tuple):
            raise InputError(f"{self.type.label}.{name} is a list")
        return value

    def get_list(self, name: str) -> tuple[int, ...]:
        value = self.attributes[name]
        return value if isinstance(value, tuple) else (value,)


@dataclass(frozen=True)
class SignedCredential:
    """A credential with the issuer's public key and EdDSA-Poseidon signature."""

    credential: Credential
    issuer: Point
    signature: Signature
    issuer_name: str = ""

    @property
    def type(self) -> CredentialType:
        return self.credential.type

    def is_valid(self) -> bool:
        return verify_poseidon(self.credential.hash(), self.signature, self.issuer)

    def require_valid(self) -> None:
        if not self.is_valid():
            named = f" ({self.issuer_name})" if self.issuer_name else ""
            raise SignatureError(
                f"the {self.type.label} credential's signature does not verify under the "
                f"issuer key it names, {self.issuer_key_id}{named}: the credential was altered "
                "after signing, or signed by another key",
                hint="Ask the issuer for a fresh copy; do not edit a credential's fields.",
            )

    @property
    def issuer_key_id(self) -> str:
        """A short name for the issuer key: ``0x``, Ax's first 8 bytes, ``…``, Ay's last 4."""
        return f"0x{self.issuer.x:064x}"[:18] + "…" + f"{self.issuer.y:064x}"[-8:]

    # -- JSON --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for name, value in self.credential.attributes.items():
            attrs[name] = [str(v) for v in value] if isinstance(value, tuple) else str(value)
        return {
            "type": self.type.label,
            "version": 1,
            "subject": str(self.credential.subject),
            "attributes": attrs,
            "issuer": {
                "name": self.issuer_name,
                "publicKey": {"x": str(self.issuer.x), "y": str(self.issuer.y)},
            },
            "signature": {
                "R8x": str(self.signature.R8.x),
                "R8y": str(self.signature.R8.y),
                "S": str(self.signature.S),
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedCredential:
        try:
            ctype = CredentialType.parse(str(data["type"]))
            attrs = {
                k: [int(x) for x in v] if isinstance(v, list) else int(v)
                for k, v in dict(data["attributes"]).items()
            }
            cred = Credential.build(
                ctype, int(from_decimal(str(data["subject"]), name="subject")), attrs
            )
            pub = data["issuer"]["publicKey"]
            issuer = Point.of(int(pub["x"]), int(pub["y"]))
            sig = data["signature"]
            signature = Signature(Point.of(int(sig["R8x"]), int(sig["R8y"])), int(sig["S"]))
        except KeyError as exc:
            raise InputError(f"credential JSON is missing {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise EncodingError(f"credential JSON is malformed: {exc}") from None
        return cls(cred, issuer, signature, str(data.get("issuer", {}).get("name", "")))

    @classmethod
    def from_json(cls, text: str) -> SignedCredential:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EncodingError(f"credential is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise EncodingError("credential JSON must be an object")
        return cls.from_dict(data)


def issue(credential: Credential, key: IssuerKey, issuer_name: str = "") -> SignedCredential:
    """Sign ``credential`` as an issuer."""
    return SignedCredential(credential, key.public, key.sign(credential.hash()), issuer_name)


def identity_commitment(identity_secret: int) -> FieldElement:
    """``Poseidon(identitySecret)``: the subject of every credential."""
    return poseidon([to_field(identity_secret, name="identity secret")])


def nullifier(identity_secret: int, scope: int) -> FieldElement:
    """``Poseidon(identitySecret, scope)``: one per holder and scope."""
    return poseidon(
        [to_field(identity_secret, name="identity secret"), to_field(scope, name="scope")]
    )
