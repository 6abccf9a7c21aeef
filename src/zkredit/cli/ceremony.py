"""``zkredit ceremony run|verify|import-ptau``: the trusted setup, with snarkjs."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import typer

from zkredit.cli.output import ExitStatus, console, progress_bar
from zkredit.errors import ZKError
from zkredit.settings import load_settings
from zkredit.zk.ceremony import Beacon, Ceremony, required_power, verify_keys
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.phase1 import PUBLISHED_PTAU_BLAKE2B, PUBLISHED_PTAU_SOURCE, import_ptau
from zkredit.zk.toolchain import NodeTools

app = typer.Typer(
    help="The Groth16 trusted setup: run it, or re-check the committed keys.",
    no_args_is_help=True,
)


def _beacon(number: int | None, block_hash: str | None) -> Beacon | None:
    if number is None and block_hash is None:
        return None
    if number is None or block_hash is None:
        raise typer.BadParameter(
            "give both --beacon-block-number and --beacon-block-hash, or neither"
        )
    try:
        return Beacon.from_block(number, block_hash)
    except ZKError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("run")
def ceremony(
    fresh_ptau: bool = typer.Option(
        False, "--fresh-ptau", help="Also redo phase 1 (powers of tau); takes ~10 minutes."
    ),
    beacon_block_number: int | None = typer.Option(
        None, "--beacon-block-number", help="Number of the public block whose hash is the beacon."
    ),
    beacon_block_hash: str | None = typer.Option(
        None,
        "--beacon-block-hash",
        help="0x + 64 hex: hash of that block, unknown before it was mined "
        "(default: a predictable hash of the circuit sources).",
    ),
    entropy_stdin: bool = typer.Option(
        False,
        "--entropy-stdin",
        help="Read extra entropy text from stdin and mix it with os.urandom "
        "(it is never passed on a command line).",
    ),
) -> None:
    """Run the Groth16 trusted setup and write circuits/keys/.

    Compiles every circuit with circom --O2, runs phase 2 (two contributions and a
    beacon) per circuit on the phase-1 ptau (a public one installed with
    `zkredit ceremony import-ptau`, else the committed local one), and writes zkeys, verification
    keys, the contribution transcript and MANIFEST.json. The outputs are committed;
    CI never re-runs this.
    """
    beacon = _beacon(beacon_block_number, beacon_block_hash)
    extra = sys.stdin.read() if entropy_stdin else ""
    settings = load_settings()
    catalog = CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)
    tools = NodeTools.find(settings.zk.node_bin)
    cer = Ceremony(tools, catalog, fresh_ptau=fresh_ptau, beacon=beacon, extra_entropy=extra)
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


@app.command("verify")
def verify() -> None:
    """Re-check every committed zkey with ``snarkjs zkey verify <r1cs> <ptau> <zkey>``.

    Prints each circuit's contributions (name and hash) and its beacon. Takes
    20-35 s per circuit on the committed 2^14 ptau (about 2 minutes for all four).
    """
    settings = load_settings()
    catalog = CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)
    tools = NodeTools.find(settings.zk.node_bin)
    started = time.monotonic()
    failed: list[str] = []
    for check in verify_keys(tools, catalog):
        mark = "[green]ok[/]" if check.ok else "[red]FAILED[/]"
        console.print(f"{check.circuit}: {mark}")
        for c in check.contributions:
            console.print(f"  #{c['number']} {c['name']}: {c['hash']}", soft_wrap=True)
            if "beacon" in c:
                console.print(
                    f"    beacon {c['beacon']} (2^{c.get('beacon_iterations', '?')} iterations)",
                    soft_wrap=True,
                )
        if not check.ok:
            failed.append(check.circuit)
            console.print(f"  {check.error}", soft_wrap=True)
    elapsed = time.monotonic() - started
    if failed:
        console.print(
            f"[red]The keys of {', '.join(failed)} do not verify against their r1cs and the "
            f"ptau[/] ({elapsed:.0f} s)."
        )
        raise typer.Exit(ExitStatus.INTEGRITY_FAILED)
    console.print(f"[green]All {len(catalog.names())} keys verify[/] ({elapsed:.0f} s).")


@app.command("contribute")
def contribute_cmd(
    source: Path = typer.Argument(..., help="The zkey the previous contributor published.",
                                  show_default=False),
    target: Path = typer.Argument(..., help="Where to write the zkey with your contribution "
                                  "(a new file).", show_default=False),
    name: str = typer.Option(..., "--name", help="Your public name for this contribution, "
                             "e.g. 'Ana Reyes, Manila Workers Union'.", show_default=False),
    circuit: str | None = typer.Option(
        None, "--circuit", help="The circuit the zkey is for (income, credit_history, "
        "collateral, identity): your output is then checked with `snarkjs zkey verify` "
        "against its r1cs and the phase-1 ptau, and the whole chain is listed."),
    entropy_stdin: bool = typer.Option(
        False, "--entropy-stdin", help="Read extra entropy text from stdin and mix it with "
        "os.urandom (it is never passed on a command line, and never stored)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Add your contribution to one circuit's phase 2, for a ceremony with several parties.

    The coordinator sends you the latest zkey; you run this, publish your contribution
    hash (printed at the end) and send the new zkey on. Your secret is 32 bytes of
    os.urandom, plus what you type on stdin with --entropy-stdin; it goes to snarkjs on
    stdin, never on a command line, and is forgotten when the command ends. As long as
    one contributor's secret is destroyed, nobody can forge proofs. Later, `zkredit
    ceremony verify` lists every contribution hash of the committed keys, yours included.

    Examples:

      zkredit ceremony contribute income_0002.zkey income_0003.zkey --name "Ana" --circuit income

      head -c 64 /dev/random | base64 | \
        zkredit ceremony contribute in.zkey out.zkey --name Ana --entropy-stdin
    """
    import json

    from zkredit.zk.ceremony import contribute, keys_ptau, verify_zkey

    settings = load_settings(check=False)
    catalog = CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)
    if circuit is not None and circuit not in catalog.names():
        raise typer.BadParameter(f"unknown circuit {circuit!r}; one of "
                                 f"{', '.join(catalog.names())}", param_hint="--circuit")
    extra = sys.stdin.read() if entropy_stdin else ""
    tools = NodeTools.find(settings.zk.node_bin)
    with progress_bar("contributing (about a minute at 2^14)", 1) as bar:
        made = contribute(tools, source, target, name, extra)
        bar.update(bar.task_ids[0], advance=1)
    check = None
    if circuit is not None:
        check = verify_zkey(tools, circuit, catalog.artifact_path(circuit, "r1cs"),
                            keys_ptau(catalog), target)
    if as_json:
        out: dict[str, Any] = {**made.record(), "zkey": str(target)}
        if check is not None:
            out["verified"] = check.ok
            out["chain"] = check.contributions
        console.print_json(json.dumps(out))
    else:
        console.print(f"Wrote {target}.", soft_wrap=True, highlight=False)
        if check is not None:
            mark = "[green]verifies[/]" if check.ok else "[red]does NOT verify[/]"
            console.print(f"{circuit}: the chain {mark} against its r1cs and the ptau:")
            for c in check.contributions:
                mine = "  <- yours" if c["hash"] == made.hash else ""
                console.print(f"  #{c['number']} {c['name']}: {c['hash']}{mine}",
                              soft_wrap=True, highlight=False, markup=False)
        console.print("Your contribution hash (publish it):", highlight=False)
        console.print(made.hash, soft_wrap=True, highlight=False)
    if check is not None and not check.ok:
        raise typer.Exit(ExitStatus.INTEGRITY_FAILED)


@app.command("import-ptau")
def import_ptau_cmd(
    path: Path = typer.Argument(
        ...,
        help="A published, prepared powers-of-tau file, e.g. powersOfTau28_hez_final_14.ptau.",
        show_default=False,
    ),
    power: int = typer.Option(
        ...,
        "--power",
        help="The power you expect the file to have (its name's NN); the published hash "
        "is looked up for it.",
        show_default=False,
    ),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="Also run `snarkjs powersoftau verify` on it (minutes at 2^14; needs Node).",
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="Replace a different pot<N>_final.ptau already in the keys directory "
        "(the current keys were made on it; re-run `zkredit ceremony run` after).",
    ),
) -> None:
    """Install a public phase 1 (powers of tau) for the next `zkredit ceremony run`.

    Whoever knows phase 1's secret can forge any proof, so use a phase 1 that many
    independent people contributed to, such as the Hermez/Polygon perpetual powers
    of tau (54 contributions and a beacon), one file per power:

      https://storage.googleapis.com/zkevm/ptau/powersOfTau28_hez_final_14.ptau

    Before use the file is checked: it must be a prepared bn128 snarkjs ptau whose
    sections fit its header; the header's power must equal --power and be enough
    for the largest circuit; and its blake2b-512 must equal the published hash for
    that power (the table from snarkjs's README kept in zkredit.zk.phase1). It is
    then copied to <keys>/pot<N>_final.ptau with a provenance record phase1.json,
    and `zkredit ceremony run` builds phase 2 on it. The committed keys are not
    touched until you run the ceremony.

    Example:

      zkredit ceremony import-ptau ~/Downloads/powersOfTau28_hez_final_14.ptau --power 14
      zkredit ceremony run --beacon-block-number N --beacon-block-hash 0x...
    """
    settings = load_settings()
    catalog = CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)
    tools = NodeTools.find(settings.zk.node_bin) if verify else None
    record = import_ptau(
        path,
        power,
        catalog.keys_dir,
        need=required_power(catalog),
        published=PUBLISHED_PTAU_BLAKE2B,
        published_source=PUBLISHED_PTAU_SOURCE,
        tools=tools,
        replace=replace,
        progress=lambda msg: console.print(f"  {msg}", soft_wrap=True),
    )
    console.print(
        f"[green]Imported[/] {record.source} as {catalog.keys_dir / record.file} "
        f"(power {record.power}, ceremony power {record.ceremony_power})",
        soft_wrap=True,
    )
    console.print(f"  blake2b-512 {record.blake2b_512}: matches the published hash", soft_wrap=True)
    console.print(f"  snarkjs powersoftau verify: {record.snarkjs_verify}", soft_wrap=True)
    console.print("Next: `zkredit ceremony run` builds phase 2 on it.")
