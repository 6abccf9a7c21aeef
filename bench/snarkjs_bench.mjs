// Times snarkjs in-process: groth16.fullProve and groth16.verify, in one warm
// Node process, so the comparison with ZKredit's prover excludes Node start-up.
// Usage: node bench/snarkjs_bench.mjs config.json
// config: {"iterations": N, "circuits": [{"name", "wasm", "zkey", "vkey", "input"}]}
// Prints one JSON object: {"circuits": [{"name", "prove_s": [...], "verify_s": [...]}]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const snarkjs = require("snarkjs");

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = { circuits: [] };
for (const c of config.circuits) {
  const input = JSON.parse(readFileSync(c.input, "utf8"));
  const vkey = JSON.parse(readFileSync(c.vkey, "utf8"));
  // warm-up: the first call compiles the wasm and loads curves
  let { proof, publicSignals } = await snarkjs.groth16.fullProve(input, c.wasm, c.zkey);
  await snarkjs.groth16.verify(vkey, publicSignals, proof);
  const prove_s = [];
  const verify_s = [];
  for (let i = 0; i < config.iterations; i++) {
    let t = process.hrtime.bigint();
    ({ proof, publicSignals } = await snarkjs.groth16.fullProve(input, c.wasm, c.zkey));
    prove_s.push(Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    const ok = await snarkjs.groth16.verify(vkey, publicSignals, proof);
    verify_s.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (!ok) throw new Error(`snarkjs proof for ${c.name} did not verify`);
  }
  out.circuits.push({ name: c.name, prove_s, verify_s });
}
console.log(JSON.stringify(out));
process.exit(0);
