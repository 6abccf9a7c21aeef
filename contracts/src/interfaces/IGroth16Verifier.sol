// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title Generated Groth16 verifier with 9 public signals (income)
/// @notice ABI of the snarkjs-style verifiers emitted by tools/contracts/gen_verifiers.py.
interface IGroth16Verifier9 {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[9] calldata input
    ) external view returns (bool);
}

/// @title Generated Groth16 verifier with 10 public signals (credit_history, collateral, identity)
interface IGroth16Verifier10 {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[10] calldata input
    ) external view returns (bool);
}
