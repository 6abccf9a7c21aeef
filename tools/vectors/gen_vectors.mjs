// Generates the circomlibjs test vectors that pin the Python zkredit.zk primitives.
//
//   node tools/vectors/gen_vectors.mjs > tests/fixtures/circomlibjs_vectors.json
//
// Deterministic: every input is fixed, so re-running must reproduce the committed
// fixture byte for byte (tests/unit/zk/test_vectors_fresh.py checks that).
// Output: pretty-printed JSON, sorted keys, every number as a decimal string.

import { readFileSync } from "node:fs";
import { buildBabyjub, buildEddsa, buildPoseidon } from "circomlibjs";
import createBlakeHash from "blake-hash";

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const poseidon = await buildPoseidon();
const eddsa = await buildEddsa();
const babyJub = await buildBabyjub();
const F = babyJub.F;

const dec = (fe) => F.toObject(fe).toString();
const point = (pt) => [dec(pt[0]), dec(pt[1])];
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const hash = (inputs) => poseidon.F.toObject(poseidon(inputs));

function packageVersion(name) {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return JSON.parse(readFileSync(url, "utf8")).version;
}

// Deterministic bytes: byte i is (i * mul + add) mod 256.
function patternBytes(length, mul, add) {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = (i * mul + add) & 0xff;
    return out;
}

// Large, irregular-looking field elements from fixed seeds.
const big = (seed) => (BigInt(seed) ** 57n + 0x9e3779b97f4a7c15n) % P;

function poseidonVectors() {
    const cases = [];
    for (let n = 1; n <= 16; n++) {
        const sets = [
            Array.from({ length: n }, (_, i) => BigInt(i + 1)),
            Array.from({ length: n }, () => 0n),
            Array.from({ length: n }, () => P - 1n),
            Array.from({ length: n }, (_, i) => big(100 * n + i + 2)),
            Array.from({ length: n }, (_, i) => [P - 1n, 0n, 1n << 253n, big(i + 7)][i % 4]),
        ];
        for (const inputs of sets) {
            cases.push({ inputs: inputs.map(String), hash: hash(inputs).toString() });
        }
    }
    return cases;
}

function blakeVectors() {
    const messages = [
        Buffer.alloc(0),
        Buffer.from("abc", "utf8"),
        Buffer.from([0xff]),
        patternBytes(32, 7, 3),
        patternBytes(64, 13, 5),
        patternBytes(111, 7, 3),
        patternBytes(112, 7, 3),
        patternBytes(113, 7, 3),
        patternBytes(127, 7, 3),
        patternBytes(128, 7, 3),
        patternBytes(129, 7, 3),
        patternBytes(200, 31, 1),
        patternBytes(239, 5, 9),
        patternBytes(240, 5, 9),
        patternBytes(1000, 3, 0),
    ];
    return messages.map((m) => ({
        message_hex: hex(m),
        digest_hex: createBlakeHash("blake512").update(m).digest("hex"),
    }));
}

function babyjubVectors() {
    const scalars = [
        1n, 2n, 3n, 7n, 8n, 1000n, 123456789n, (1n << 200n) + 1n,
        babyJub.subOrder - 2n, babyJub.subOrder - 1n, babyJub.subOrder, babyJub.subOrder + 5n,
    ];
    const multiples = scalars.map((k) => {
        const pt = babyJub.mulPointEscalar(babyJub.Base8, k);
        return { k: k.toString(), point: point(pt), packed: hex(babyJub.packPoint(pt)) };
    });
    // Multiples of the full-group generator: only those divisible by 8 lie in
    // the prime-order subgroup.
    const generatorMultiples = [1n, 2n, 4n, 5n, 8n, 24n].map((k) => {
        const pt = babyJub.mulPointEscalar(babyJub.Generator, k);
        return {
            k: k.toString(),
            point: point(pt),
            packed: hex(babyJub.packPoint(pt)),
            in_subgroup: babyJub.inSubgroup(pt),
        };
    });
    const pairs = [[1n, 2n], [5n, 1000n], [123456789n, babyJub.subOrder - 1n]];
    const additions = pairs.map(([a, b]) => {
        const pa = babyJub.mulPointEscalar(babyJub.Base8, a);
        const pb = babyJub.mulPointEscalar(babyJub.Base8, b);
        return { p: point(pa), q: point(pb), sum: point(babyJub.addPoint(pa, pb)) };
    });
    return {
        a: F.toObject(babyJub.A).toString(),
        d: F.toObject(babyJub.D).toString(),
        base8: point(babyJub.Base8),
        generator: point(babyJub.Generator),
        order: babyJub.order.toString(),
        suborder: babyJub.subOrder.toString(),
        base8_multiples: multiples,
        generator_multiples: generatorMultiples,
        additions,
    };
}

function eddsaVectors() {
    const keys = [
        Buffer.alloc(32),
        patternBytes(32, 1, 1),
        Buffer.alloc(32, 0xff),
        Buffer.from("zkredit test issuer key #0004!!!", "utf8"),
    ];
    const messages = [0n, 1n, 1234n, big(42), P - 1n];
    return keys.map((prv) => {
        const pub = eddsa.prv2pub(prv);
        const signatures = messages.map((msg) => {
            const sig = eddsa.signPoseidon(prv, F.e(msg));
            return {
                msg: msg.toString(),
                R8: point(sig.R8),
                S: sig.S.toString(),
                packed: hex(eddsa.packSignature(sig)),
            };
        });
        return {
            private_key_hex: hex(prv),
            public: point(pub),
            public_packed: hex(babyJub.packPoint(pub)),
            signatures,
        };
    });
}

function merkleVectors() {
    const depth = 20;
    const zeros = [0n];
    for (let i = 0; i < depth; i++) zeros.push(hash([zeros[i], zeros[i]]));
    const leaves = [1, 2, 3, 4, 5].map((i) => big(1000 + i));

    // Full recomputation level by level (independent of the Python incremental walk).
    const levelsFor = (items) => {
        const levels = [items];
        for (let lvl = 0; lvl < depth; lvl++) {
            const cur = [...levels[lvl]];
            if (cur.length % 2) cur.push(zeros[lvl]);
            const next = [];
            for (let i = 0; i < cur.length; i += 2) next.push(hash([cur[i], cur[i + 1]]));
            levels.push(next);
        }
        return levels;
    };

    const roots = {};
    for (const n of [1, 2, 3, 5]) roots[n] = levelsFor(leaves.slice(0, n))[depth][0].toString();

    const index = 2;
    const levels = levelsFor(leaves);
    const pathElements = [];
    const pathIndices = [];
    let pos = index;
    for (let lvl = 0; lvl < depth; lvl++) {
        const sibling = pos ^ 1;
        pathElements.push((sibling < levels[lvl].length ? levels[lvl][sibling] : zeros[lvl]).toString());
        pathIndices.push((pos & 1).toString());
        pos >>= 1;
    }
    return {
        depth: depth.toString(),
        zeros: zeros.map(String),
        leaves: leaves.map(String),
        roots,
        proof: {
            index: index.toString(),
            leaf: leaves[index].toString(),
            path_elements: pathElements,
            path_indices: pathIndices,
            root: roots[5],
        },
    };
}

function sortKeys(value) {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value !== null && typeof value === "object") {
        const out = {};
        for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
        return out;
    }
    if (typeof value === "bigint" || typeof value === "number") return value.toString();
    return value;
}

const doc = {
    meta: {
        generator: "tools/vectors/gen_vectors.mjs",
        circomlibjs: packageVersion("circomlibjs"),
        "blake-hash": packageVersion("blake-hash"),
        field: P.toString(),
    },
    poseidon: poseidonVectors(),
    blake512: blakeVectors(),
    babyjub: babyjubVectors(),
    eddsa: eddsaVectors(),
    merkle: merkleVectors(),
};

// circomlibjs keeps wasm/worker handles alive; exit explicitly once written.
process.stdout.write(JSON.stringify(sortKeys(doc), null, 2) + "\n", () => process.exit(0));
