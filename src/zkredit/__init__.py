"""ZKredit: privacy-preserving credit and remittance with Groth16 proofs."""

__version__ = "0.1.0"
