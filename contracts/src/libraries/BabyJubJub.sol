// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title BabyJubJub point checks
/// @notice BabyJubJub is the twisted Edwards curve a·x² + y² = 1 + d·x²·y² over the
///         BN254 scalar field, with a = 168700 and d = 168696 (EIP-2494). Issuer keys
///         are points on it; registering an off-curve key would make every proof under
///         it unsatisfiable, so the registry rejects such keys up front.
library BabyJubJub {
    /// @notice The BN254 scalar field order r, the base field of BabyJubJub.
    uint256 internal constant Q = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant A = 168700;
    uint256 internal constant D = 168696;

    /// @notice True when (x, y) is a curve point with canonical coordinates and not
    ///         the neutral element (0, 1).
    function isValidKey(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= Q || y >= Q) return false;
        if (x == 0 && y == 1) return false;
        uint256 x2 = mulmod(x, x, Q);
        uint256 y2 = mulmod(y, y, Q);
        uint256 lhs = addmod(mulmod(A, x2, Q), y2, Q);
        uint256 rhs = addmod(1, mulmod(D, mulmod(x2, y2, Q), Q), Q);
        return lhs == rhs;
    }
}
