"""The ZKredit exception hierarchy.

Every error the product raises derives from :class:`ZKreditError` and carries a
message a user can act on. Errors that are also a builtin kind mix it in
(``FieldRangeError(ZKreditError, ValueError)``) so callers may catch either.
The CLI maps each family to an exit status; the HTTP layer maps them to status
codes.
"""

from __future__ import annotations


class ZKreditError(Exception):
    """Root of every error ZKredit raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


# --- configuration ---------------------------------------------------------


class ConfigurationError(ZKreditError, ValueError):
    """Raised when settings are missing, malformed or unsafe for the environment."""


# --- input and encodings ---------------------------------------------------


class InputError(ZKreditError, ValueError):
    """Raised when user-supplied input is malformed (wrong type, missing field, bad JSON)."""


class FieldRangeError(InputError):
    """Raised when an integer does not fit the field or the bit width a signal allows."""


class EncodingError(InputError):
    """Raised when a wire encoding (hex, decimal string, point) cannot be decoded."""


# --- cryptography ------------------------------------------------------------


class CryptoError(ZKreditError):
    """Raised when a cryptographic check fails."""


class InvalidPointError(CryptoError, ValueError):
    """Raised when coordinates are not a point of the BabyJubJub curve or its subgroup."""


class SignatureError(CryptoError):
    """Raised when an issuer signature does not verify over a credential."""


class UntrustedIssuerError(CryptoError):
    """Raised when a credential is signed by a key not trusted for its type."""


class MerkleError(ZKreditError, ValueError):
    """Raised on a Merkle tree misuse: full tree, unknown leaf, bad index."""


# --- zero knowledge ----------------------------------------------------------


class ZKError(ZKreditError):
    """Root of proving and verification errors."""


class StatementFalse(ZKError):
    """Raised before proving when the private data does not satisfy the policy.

    ``failures`` names each failing policy condition. The message is meant for the
    worker only and must never be sent to another party.
    """

    def __init__(self, circuit: str, failures: list[str]) -> None:
        self.circuit = circuit
        self.failures = list(failures)
        lines = "; ".join(failures)
        super().__init__(
            f"{circuit}: the data does not satisfy the policy: {lines}",
            hint="No valid proof can exist for this statement; see the conditions listed.",
        )


class WitnessError(ZKError):
    """Raised when the circuit rejects the inputs while computing the witness."""


class ProvingError(ZKError):
    """Raised when the prover fails or produces a proof that does not verify."""


class VerificationFailed(ZKError):
    """Raised when a proof does not verify against its verification key."""


class ArtifactError(ZKError):
    """Raised when circuit artifacts are missing or do not match the manifest."""


class PtauError(ArtifactError):
    """Raised when a phase-1 powers-of-tau file fails a check before it is imported."""


class PtauFormatError(PtauError):
    """Raised when a file is not a well-formed snarkjs ptau (magic, version, sections, curve)."""


class PtauNotPreparedError(PtauError):
    """Raised when a ptau lacks the Lagrange sections that ``prepare phase2`` adds."""


class PtauPowerError(PtauError):
    """Raised when a ptau's power differs from the one named, or is too small for the circuits."""


class PtauHashMismatch(PtauError):
    """Raised when a ptau's blake2b-512 differs from the published hash for its power."""


class PtauVerifyError(PtauError):
    """Raised when ``snarkjs powersoftau verify`` rejects a ptau offered for import."""


class PtauInstalledError(PtauError):
    """Raised when importing would silently replace the phase-1 ptau the current keys use."""


class PtauUnpublishedError(PtauError):
    """Raised when no published hash is known for the power of a ptau offered for import."""


class UnknownCircuitError(ZKError, KeyError):
    """Raised when a circuit name is not in the manifest."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class IntegrityError(ZKreditError):
    """Raised when stored records fail an integrity check (audit chain, anchors)."""


class ToolMissingError(ZKreditError):
    """Raised when an external tool (node, snarkjs, circom) is needed but not installed."""
