"""``zkredit circuits``: list, inspect and verify the circuits and their keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from zkredit.bootstrap import build_catalog
from zkredit.cli.output import console, progress_bar
from zkredit.errors import ArtifactError, ZKError
from zkredit.settings import load_settings
from zkredit.zk.ceremony import keys_ptau
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.phase1 import IMPORTED, Phase1Record, phase1_provenance
from zkredit.zk.toolchain import NodeTools

app = typer.Typer(
    help="List, inspect and verify circuits and their committed keys.", no_args_is_help=True
)


@app.command("list")
def list_circuits() -> None:
    """List every circuit with its constraint count and public signals."""
    catalog = build_catalog(load_settings())
    table = Table(title="ZKredit circuits")
    for col in ("name", "template", "constraints", "public signals"):
        table.add_column(col)
    for spec in catalog:
        table.add_row(spec.name, spec.template, f"{spec.constraints:,}", ", ".join(spec.public))
    console.print(table)


@app.command("info")
def info(name: str = typer.Argument(..., help="Circuit name, e.g. income.")) -> None:
    """Show one circuit: its signals, files, manifest hashes and where phase 1 came from."""
    catalog = build_catalog(load_settings())
    spec = catalog.get(name)
    console.print(f"[bold]{spec.name}[/] ({spec.template}, {spec.constraints:,} constraints)")
    console.print(f"  source:  {catalog.source_path(name)}")
    console.print(
        "  public (snarkjs order): " + ", ".join(f"{i}:{s}" for i, s in enumerate(spec.public))
    )
    console.print("  private: " + ", ".join(spec.private))
    try:
        manifest = catalog.read_manifest()
    except ArtifactError:
        manifest = {}
    entry = manifest.get("circuits", {}).get(name, {})
    for kind in ("r1cs", "wasm", "zkey", "vkey"):
        path = catalog.artifact_path(name, kind)
        digest = entry.get(kind, "not in manifest")
        console.print(f"  {kind:5s} {path.name:28s} sha256 {digest}")
    _phase1_info(catalog, manifest)


def _phase1_info(catalog: CircuitCatalog, manifest: dict[str, Any]) -> None:
    """Where the keys' phase 1 came from, and a pending import if one awaits a ceremony."""
    ptau = manifest.get("ptau")
    if not ptau:
        console.print("  phase 1: none (single-party development keys)")
    else:
        prov = phase1_provenance(ptau)
        if prov["provenance"] == IMPORTED:
            check = "matches the published hash" if prov["hash_verified"] else "NOT published"
            console.print(
                f"  phase 1: imported {prov['source']} as {ptau['file']} (2^{ptau.get('power')}), "
                f"blake2b-512 {prov['blake2b_512']} ({check})",
                soft_wrap=True,
            )
        else:
            console.print(
                f"  phase 1: local {ptau['file']} (2^{ptau.get('power')}), sha256 "
                f"{ptau.get('sha256')}: made by one party, not a public ceremony; whoever made "
                "it can forge proofs (ADR 0013)",
                soft_wrap=True,
            )
    try:
        record = Phase1Record.load(catalog.keys_dir)
    except ZKError as exc:
        console.print(f"  phase 1 for the next ceremony: unreadable ({exc.message})")
        return
    if record is not None and (not ptau or record.sha256 != ptau.get("sha256")):
        console.print(
            f"  phase 1 for the next ceremony: imported {record.source} (blake2b-512 "
            f"{record.blake2b_512}); run `zkredit ceremony run` to build keys on it",
            soft_wrap=True,
        )


@app.command("verify")
def verify(
    snarkjs: bool = typer.Option(
        True,
        "--snarkjs/--no-snarkjs",
        help="Also run `snarkjs zkey verify` on each key (needs Node; ~10 s per circuit).",
    ),
) -> None:
    """Re-check the committed keys against MANIFEST.json and the circuit sources.

    Every file listed in circuits/keys/MANIFEST.json is re-hashed; a mismatch names
    the file and exits non-zero. With Node installed, each zkey is also checked
    against its r1cs and the committed ptau with `snarkjs zkey verify`.
    """
    catalog = build_catalog(load_settings())
    catalog.require_intact()
    console.print(
        f"[green]OK[/] manifest: every source, r1cs, wasm, zkey and vkey matches "
        f"({len(catalog.names())} circuits)"
    )
    if not snarkjs:
        return
    if not NodeTools.available():
        console.print(
            "[yellow]skipped[/] snarkjs zkey verify: Node or the npm tools are not "
            "installed (run `make setup`)"
        )
        return
    tools = NodeTools.find()
    ptau = keys_ptau(catalog)
    with progress_bar("snarkjs zkey verify", len(catalog.names())) as bar:
        for name in catalog.names():
            bar.update(bar.task_ids[0], description=f"zkey verify {name}")
            try:
                out = tools.snarkjs(
                    "zkey",
                    "verify",
                    catalog.artifact_path(name, "r1cs"),
                    ptau,
                    catalog.artifact_path(name, "zkey"),
                )
            except ZKError as exc:
                raise ArtifactError(
                    f"{catalog.artifact_path(name, 'zkey')}: snarkjs zkey verify "
                    f"failed: {exc.message}"
                ) from None
            if "ZKey Ok!" not in out:
                raise ArtifactError(
                    f"{catalog.artifact_path(name, 'zkey')}: snarkjs zkey "
                    "verify did not report 'ZKey Ok!'"
                )
            bar.advance(bar.task_ids[0])
    console.print("[green]OK[/] snarkjs zkey verify: every key matches its r1cs and the ptau")


@app.command("dev-setup")
def dev_setup_cmd(
    out: Path = typer.Option(..., "--out", help="Directory for the development keys."),
) -> None:
    """Single-party development keys (groth16py setup_circom). DEVELOPMENT ONLY.

    Whoever runs this knows the toxic waste and could forge proofs, so the keys are
    refused outside ZKREDIT_ENV=development and every proof made with them carries
    "zkredit_setup": "single-party-dev". Point ZK_ZKEY_PATH at --out to use them.
    """
    from zkredit.errors import ConfigurationError
    from zkredit.zk.ceremony import dev_setup

    settings = load_settings()
    if not settings.is_development:
        raise ConfigurationError(
            "single-party development keys may only be made with ZKREDIT_ENV=development"
        )
    catalog = build_catalog(settings)
    circomlib = NodeTools.find(settings.zk.node_bin).circomlib if NodeTools.available() else None
    if circomlib is None:
        import groth16py

        circomlib = Path(groth16py.circomlib_path(2))
    with progress_bar("dev setup", len(catalog.names())) as bar:

        def step(msg: str) -> None:
            bar.update(bar.task_ids[0], description=msg, advance=1)

        dev_setup(catalog, out, circomlib, step)
    console.print(
        f"[yellow]wrote single-party DEVELOPMENT keys to {out}[/]; "
        f"use them with ZK_ZKEY_PATH={out} ZKREDIT_ENV=development"
    )
