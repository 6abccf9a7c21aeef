// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title Batched Groth16 verification with a random linear combination
/// @notice Verifies n BN254 Groth16 proofs whose verifying keys share alpha, beta and
///         gamma (true for every circuit of one snarkjs ceremony: alpha and beta come
///         from the shared phase-1 powers of tau, gamma is the G2 generator; only
///         delta and the IC points are per circuit) with ONE multi-pairing of 2n + 2
///         pairs instead of n pairings of 4 pairs.
///
///         Proof i is valid iff  e(A_i, B_i) = e(alpha, beta) · e(L_i, gamma) · e(C_i, delta_i)
///         with L_i = IC_i0 + Σ_j x_ij · IC_ij. This library checks the product of
///         these n equations raised to r_0 = 1, r_1, ..., r_{n-1}:
///
///           Π e(-r_i·A_i, B_i) · e((Σ r_i)·alpha, beta) · e(Σ r_i·L_i, gamma) · Π e(r_i·C_i, delta_i) = 1
///
///         where r_i (i ≥ 1) are odd 127-bit values derived from `seed`, which the
///         caller must compute as a hash of every proof and public input. Soundness
///         (contracts/docs/batched-verification.md): GT has prime order r, so if some
///         equation fails the product is 1 for at most one value of the last failing
///         r_i mod r; with r_i fixed by a hash of the proofs after they are chosen, a
///         cheating prover succeeds with probability about 2^-127 per hash evaluation.
/// @dev Returns false (never reverts) for an invalid proof, a public input ≥ r, a
///      malformed point or a failed precompile call. Callers must treat only `true`
///      as acceptance.
library Groth16Batch {
    /// @notice Order of the BN254 groups; public inputs must be below it.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice BN254 base field modulus.
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @notice Per-circuit part of a verifying key, in precompile word order.
    /// @param delta G2 point as (x.c1, x.c0, y.c1, y.c0).
    /// @param ic G1 points IC_0..IC_m flattened as (x0, y0, x1, y1, ...).
    struct Key {
        uint256[4] delta;
        uint256[] ic;
    }

    /// @notice The key material shared by every circuit of the ceremony.
    struct Shared {
        uint256[2] alpha;
        uint256[4] beta;
        uint256[4] gamma;
    }

    /// @notice A proof in precompile word order: b = (x.c1, x.c0, y.c1, y.c0), which is
    ///         also snarkjs's Solidity calldata order.
    struct Proof {
        uint256[2] a;
        uint256[4] b;
        uint256[2] c;
    }

    /// @dev Running state of one batch: the pairing input, Σ r_i and Σ r_i·L_i.
    struct Batch {
        uint256[] buf;
        uint256 n;
        uint256 rSum;
        uint256[2] acc;
    }

    /// @notice True iff every proof i verifies against keys[i] and inputs[i].
    function verify(
        Shared memory shared,
        Key[] memory keys,
        Proof[] memory proofs,
        uint256[][] memory inputs,
        uint256 seed
    ) internal view returns (bool) {
        uint256 n = keys.length;
        if (n == 0 || proofs.length != n || inputs.length != n) return false;
        Batch memory b;
        b.n = n;
        // Pairs: n × (-rA, B), (Σr·alpha, beta), (Σ rL, gamma), n × (rC, delta).
        b.buf = new uint256[](6 * (2 * n + 2));
        for (uint256 i = 0; i < n; ++i) {
            if (!_stage(b, i, seed, proofs[i], keys[i], inputs[i])) return false;
        }
        (bool ok, uint256 ax, uint256 ay) = _mul(shared.alpha[0], shared.alpha[1], b.rSum % R);
        if (!ok) return false;
        _put(b.buf, n, ax, ay, shared.beta);
        _put(b.buf, n + 1, b.acc[0], b.acc[1], shared.gamma);
        return _pairing(b.buf);
    }

    /// @dev Adds proof i: pairs (-r·A, B) and (r·C, delta), and r·L_i to the sum.
    ///      r_0 = 1; r_i for i ≥ 1 is an odd 127-bit value from keccak256(seed, i),
    ///      odd so that no proof can drop out of the combination with r_i = 0.
    function _stage(Batch memory b, uint256 i, uint256 seed, Proof memory p, Key memory k, uint256[] memory x)
        private
        view
        returns (bool)
    {
        uint256 r = i == 0 ? 1 : (uint256(keccak256(abi.encode(seed, i))) >> 129) | 1;
        b.rSum += r;
        (bool ok, uint256 px, uint256 py) = _mul(p.a[0], p.a[1], r);
        if (!ok) return false;
        _put(b.buf, i, px, (Q - py) % Q, p.b);
        (ok, px, py) = _mul(p.c[0], p.c[1], r);
        if (!ok) return false;
        _put(b.buf, b.n + 2 + i, px, py, k.delta);
        return _accumulate(b.acc, k.ic, x, r);
    }

    /// @dev acc += r·IC_0 + Σ_j (r·x_j mod R)·IC_{j+1}. False for an input ≥ R,
    ///      a wrong input count or a failed precompile call.
    function _accumulate(uint256[2] memory acc, uint256[] memory ic, uint256[] memory x, uint256 r)
        private
        view
        returns (bool)
    {
        if (ic.length != 2 * (x.length + 1)) return false;
        if (!_mulAdd(acc, ic[0], ic[1], r)) return false;
        for (uint256 j = 0; j < x.length; ++j) {
            if (x[j] >= R) return false;
            uint256 s = mulmod(r, x[j], R);
            if (s != 0 && !_mulAdd(acc, ic[2 * j + 2], ic[2 * j + 3], s)) return false;
        }
        return true;
    }

    /// @dev acc += s·(x, y), via the ecMul (0x07) and ecAdd (0x06) precompiles.
    ///      ecAdd checks that (x, y) is on the curve even when s = 1 skips ecMul.
    function _mulAdd(uint256[2] memory acc, uint256 x, uint256 y, uint256 s) private view returns (bool ok) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, mload(acc))
            mstore(add(p, 0x20), mload(add(acc, 0x20)))
            mstore(add(p, 0x40), x)
            mstore(add(p, 0x60), y)
            mstore(add(p, 0x80), s)
            // s·(x, y) lands right after acc, forming ecAdd's (acc, s·P) input;
            // for s = 1 the point is already there.
            ok := 1
            if iszero(eq(s, 1)) { ok := staticcall(gas(), 0x07, add(p, 0x40), 0x60, add(p, 0x40), 0x40) }
            ok := and(ok, staticcall(gas(), 0x06, p, 0x80, acc, 0x40))
        }
    }

    /// @dev s·(x, y) via the ecMul precompile; s = 1 skips the call.
    function _mul(uint256 x, uint256 y, uint256 s) private view returns (bool ok, uint256 rx, uint256 ry) {
        if (s == 1) return (x < Q && y < Q, x, y);
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, x)
            mstore(add(p, 0x20), y)
            mstore(add(p, 0x40), s)
            ok := staticcall(gas(), 0x07, p, 0x60, p, 0x40)
            rx := mload(p)
            ry := mload(add(p, 0x20))
        }
    }

    function _put(uint256[] memory buf, uint256 pair, uint256 x, uint256 y, uint256[4] memory g2) private pure {
        uint256 o = 6 * pair;
        buf[o] = x;
        buf[o + 1] = y;
        buf[o + 2] = g2[0];
        buf[o + 3] = g2[1];
        buf[o + 4] = g2[2];
        buf[o + 5] = g2[3];
    }

    /// @dev The pairing precompile (0x08): true iff the call succeeded and the
    ///      product of the pairings is one.
    function _pairing(uint256[] memory buf) private view returns (bool result) {
        assembly ("memory-safe") {
            let out := mload(0x40)
            mstore(out, 0)
            let ok := staticcall(gas(), 0x08, add(buf, 0x20), mul(mload(buf), 0x20), out, 0x20)
            result := and(ok, eq(mload(out), 1))
        }
    }
}
