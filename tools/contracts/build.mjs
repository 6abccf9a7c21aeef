#!/usr/bin/env node
// Compile every Solidity contract of ZKredit with the pinned npm `solc` (solc-js)
// in ONE standard-JSON invocation and write deterministic artifacts.
//
//   node tools/contracts/build.mjs [--out DIR] [--src DIR]... [--quiet]
//
// Defaults: sources from contracts/src (shipped contracts) and contracts/test
// (test doubles, written under <out>/test/), artifacts to contracts/artifacts.
// Every artifact is pretty-printed JSON with recursively sorted keys, and the
// compiler settings are fixed (optimizer 200 runs, evmVersion cancun, metadata
// without an IPFS/Swarm hash), so two runs give byte-identical files. A test
// (tests/unit/contracts/test_artifacts.py) rebuilds into a temp dir and compares.
//
// Imports starting with `@openzeppelin/` resolve to node_modules; relative
// imports resolve against the importing file. Only concrete `contract`s
// declared in our own sources get an artifact; libraries and interfaces are
// inlined into them (all our library functions are internal).

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(path.join(ROOT, "package.json"));
const solc = require("solc");

const EXPECTED_SOLC = "0.8.28";
const SETTINGS = {
  evmVersion: "cancun",
  metadata: { bytecodeHash: "none", useLiteralContent: false },
  optimizer: { enabled: true, runs: 200 },
  outputSelection: {
    "*": {
      "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"],
      "": ["ast"],
    },
  },
  remappings: [],
  viaIR: false,
};

function parseArgs(argv) {
  const opts = { out: path.join(ROOT, "contracts", "artifacts"), src: [], quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--out") opts.out = path.resolve(argv[++i] ?? fail("--out needs a directory"));
    else if (arg === "--src") opts.src.push(path.resolve(argv[++i] ?? fail("--src needs a directory")));
    else if (arg === "--quiet") opts.quiet = true;
    else if (arg === "--help" || arg === "-h") {
      process.stdout.write(
        "usage: node tools/contracts/build.mjs [--out DIR] [--src DIR]... [--quiet]\n",
      );
      process.exit(0);
    } else fail(`unknown argument ${arg}`);
  }
  if (opts.src.length === 0) {
    opts.src = [path.join(ROOT, "contracts", "src"), path.join(ROOT, "contracts", "test")];
  }
  return opts;
}

function fail(message) {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
}

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

// Source unit name: repo-relative POSIX path for files in the repo, so the
// names (and therefore the metadata and bytecode) do not depend on where the
// checkout lives. A --src directory outside the repository (e.g. verifiers
// generated from development keys in a temp dir) is named from its basename.
function unitName(file, srcDir) {
  const rel = path.relative(ROOT, file);
  const parts = rel.startsWith("..") || path.isAbsolute(rel)
    ? [path.basename(srcDir), path.relative(srcDir, file)]
    : [rel];
  return parts.join("/").split(path.sep).join("/");
}

function listSolidity(dir) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSolidity(full));
    else if (entry.isFile() && entry.name.endsWith(".sol")) found.push(full);
  }
  return found.sort();
}

function resolveImport(importPath) {
  if (importPath.startsWith("@openzeppelin/")) {
    const file = path.join(ROOT, "node_modules", importPath);
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
    return { error: `not found in node_modules: ${importPath}` };
  }
  const file = path.join(ROOT, importPath);
  if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
  return { error: `not found: ${importPath}` };
}

// Deterministic JSON: object keys sorted at every level, arrays kept in order.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

function stableJson(value) {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function concreteContracts(ast) {
  return (ast?.nodes ?? []).filter(
    (n) => n.nodeType === "ContractDefinition" && n.contractKind === "contract" && !n.abstract,
  );
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const version = solc.version();
  if (!version.startsWith(`${EXPECTED_SOLC}+`)) {
    fail(`expected solc ${EXPECTED_SOLC}, found ${version}; run npm ci`);
  }

  const sources = {};
  const testUnits = new Set();
  for (const dir of opts.src) {
    const isTest = path.basename(dir) === "test";
    for (const file of listSolidity(dir)) {
      const name = unitName(file, dir);
      sources[name] = { content: fs.readFileSync(file, "utf8") };
      if (isTest) testUnits.add(name);
    }
  }
  if (Object.keys(sources).length === 0) fail(`no .sol files under ${opts.src.join(", ")}`);

  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport }));

  const problems = output.errors ?? [];
  const errors = problems.filter((e) => e.severity === "error");
  for (const p of problems) {
    if (!opts.quiet || p.severity === "error") process.stderr.write(`${p.formattedMessage}\n`);
  }
  if (errors.length > 0) fail(`${errors.length} compiler error(s)`);

  const { outputSelection: _unused, ...recordedSettings } = SETTINGS;
  const compiler = { settings: recordedSettings, version };
  const artifacts = {};
  for (const unit of Object.keys(sources).sort()) {
    for (const def of concreteContracts(output.sources[unit]?.ast)) {
      const name = def.name;
      const compiled = output.contracts[unit][name];
      const rel = testUnits.has(unit) ? `test/${name}.json` : `${name}.json`;
      if (artifacts[rel]) fail(`two contracts named ${name} (${artifacts[rel].sourceName}, ${unit})`);
      artifacts[rel] = {
        abi: compiled.abi,
        bytecode: `0x${compiled.evm.bytecode.object}`,
        compiler,
        contractName: name,
        deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
        metadataHash: sha256(compiled.metadata),
        sourceName: unit,
      };
    }
  }

  // Every source the compiler saw, ours and OpenZeppelin's, is hashed: a change
  // in either changes the bytecode.
  const sourceHashes = {};
  for (const unit of Object.keys(output.sources).sort()) {
    const content = sources[unit]?.content ?? resolveImport(unit).contents;
    sourceHashes[unit] = sha256(content);
  }

  fs.mkdirSync(path.join(opts.out, "test"), { recursive: true });
  removeStale(opts.out, new Set(Object.keys(artifacts)));
  const artifactHashes = {};
  for (const rel of Object.keys(artifacts).sort()) {
    const text = stableJson(artifacts[rel]);
    fs.writeFileSync(path.join(opts.out, rel), text);
    artifactHashes[rel] = sha256(text);
  }
  const manifest = { artifacts: artifactHashes, compiler, sources: sourceHashes };
  fs.writeFileSync(path.join(opts.out, "MANIFEST.json"), stableJson(manifest));
  if (fs.readdirSync(path.join(opts.out, "test")).length === 0) {
    fs.rmdirSync(path.join(opts.out, "test"));
  }

  if (!opts.quiet) {
    for (const rel of Object.keys(artifacts).sort()) {
      const size = (artifacts[rel].deployedBytecode.length - 2) / 2;
      process.stdout.write(`${rel.padEnd(40)} ${String(size).padStart(6)} bytes runtime\n`);
    }
    process.stdout.write(`wrote ${Object.keys(artifacts).length} artifacts to ${opts.out}\n`);
  }
}

// Drop artifacts of contracts that no longer exist, so a rename does not leave
// a stale ABI behind. Only files that look like our artifacts are removed.
function removeStale(out, keep) {
  for (const sub of ["", "test"]) {
    const dir = path.join(out, sub);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir)) {
      const rel = sub ? `${sub}/${entry}` : entry;
      if (!entry.endsWith(".json") || entry === "MANIFEST.json" || keep.has(rel)) continue;
      try {
        const data = JSON.parse(fs.readFileSync(path.join(dir, entry), "utf8"));
        if (data.contractName && data.deployedBytecode) fs.unlinkSync(path.join(dir, entry));
      } catch {
        // not ours; leave it
      }
    }
  }
}

main();
