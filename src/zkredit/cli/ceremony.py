"""``zkredit ceremony``: the trusted setup, with snarkjs."""

from __future__ import annotations

import typer

from zkredit.cli.output import console, progress_bar
from zkredit.settings import load_settings
from zkredit.zk.ceremony import Ceremony
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.toolchain import NodeTools


def ceremony(
    fresh_ptau: bool = typer.Option(
        False, "--fresh-ptau", help="Also redo phase 1 (powers of tau); takes ~10 minutes."
    ),
    beacon: str | None = typer.Option(
        None, "--beacon", help="Hex beacon for the final contribution (default: source hash)."
    ),
) -> None:
    """Run the Groth16 trusted setup and write circuits/keys/.

    Compiles every circuit with circom --O2, runs phase 2 (two contributions and a
    beacon) per circuit on the committed phase-1 ptau, and writes zkeys, verification
    keys, the contribution transcript and MANIFEST.json. The outputs are committed;
    CI never re-runs this.
    """
    settings = load_settings()
    catalog = CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)
    tools = NodeTools.find(settings.zk.node_bin)
    cer = Ceremony(tools, catalog, fresh_ptau=fresh_ptau, beacon=beacon)
    with progress_bar("ceremony", cer.steps()) as bar:
        task = bar.task_ids[0]

        def step(msg: str) -> None:
            bar.update(task, description=msg, advance=1)

        cer.progress = step
        manifest = cer.run()
    console.print(
        f"[green]Ceremony complete[/]: keys for {', '.join(manifest['circuits'])} "
        f"in {catalog.keys_dir}"
    )
