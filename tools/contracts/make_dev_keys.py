"""Generate THROWAWAY single-party Groth16 keys for contract development.

These keys are unsafe for anything but local testing: one party knows the
toxic waste. They let the contract tests produce real proofs before the
ceremony keys exist in circuits/keys/. Output per circuit, in --out:
``<name>.vkey.json`` (snarkjs shape) and ``<name>.pk`` (groth16py ProvingKey).

Usage: .venv/bin/python tools/contracts/make_dev_keys.py [--out DIR] [names...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import groth16py

ROOT = Path(__file__).resolve().parents[2]
CIRCUITS = ("income", "credit_history", "collateral", "identity")
DEFAULT_OUT = Path("/tmp/zkredit-devkeys")


def make_keys(name: str, out: Path, circomlib: Path) -> None:
    """Compile ``circuits/src/<name>.circom`` and run a single-party setup into ``out``."""
    vkey_path = out / f"{name}.vkey.json"
    pk_path = out / f"{name}.pk"
    if vkey_path.exists() and pk_path.exists():
        print(f"{name}: cached in {out}")
        return
    started = time.monotonic()
    pk, vk = groth16py.setup_circom(
        str(ROOT / "circuits" / "src" / f"{name}.circom"), [str(circomlib)]
    )
    pk.save(str(pk_path) + ".tmp")
    Path(str(pk_path) + ".tmp").rename(pk_path)
    vkey_path.write_text(vk.to_json())
    print(f"{name}: {vk.n_public} public signals, {time.monotonic() - started:.1f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--circomlib", type=Path, default=ROOT / "node_modules" / "circomlib" / "circuits"
    )
    parser.add_argument("names", nargs="*", default=list(CIRCUITS))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        if name not in CIRCUITS:
            parser.error(f"unknown circuit {name!r}; expected one of {', '.join(CIRCUITS)}")
        make_keys(name, args.out, args.circomlib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
