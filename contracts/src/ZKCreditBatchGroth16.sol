// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IApplicationBatchVerifier} from "./interfaces/IApplicationBatchVerifier.sol";
import {IZKCreditVerifier} from "./interfaces/IZKCreditVerifier.sol";
import {Groth16Batch} from "./libraries/Groth16Batch.sol";
import {ZKCreditVerifyingKeys} from "./verifiers/ZKCreditVerifyingKeys.sol";

/// @title Batched verification of a ZKredit application's four Groth16 proofs
/// @notice Verifies income, credit_history, collateral and identity proofs with one
///         10-pair multi-pairing (Groth16Batch) instead of four 4-pair pairings. The
///         key constants are generated (ZKCreditVerifyingKeys) from the same vkeys as
///         the four per-circuit verifier contracts.
/// @dev A separate contract so that ZKCreditVerifier stays under the 24 KiB code
///      limit. Stateless and ownerless. The coefficients of the random linear
///      combination are drawn from `seedOf(app)`, a hash of everything verified; no
///      caller can choose them (a seed known before the proofs are chosen lets anyone
///      forge all four proofs). Soundness argument: contracts/docs/batched-verification.md.
contract ZKCreditBatchGroth16 is IApplicationBatchVerifier {
    /// @inheritdoc IApplicationBatchVerifier
    function verifyApplication(IZKCreditVerifier.Application calldata app) external view returns (bool) {
        return _verify(app, seedOf(app));
    }

    /// @notice The seed of the batch coefficients for `app`: keccak256 of the chain id,
    ///         this contract's address and the ABI-encoded application (every proof
    ///         coordinate, every public signal, the policy hash and the agent id).
    function seedOf(IZKCreditVerifier.Application calldata app) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), app)));
    }

    /// @dev The batched check under `seed`. Sound only when `seed` was fixed after the
    ///      proofs and signals were: callers pass `seedOf(app)`.
    function _verify(IZKCreditVerifier.Application calldata app, uint256 seed) internal view returns (bool) {
        Groth16Batch.Key[] memory keys = new Groth16Batch.Key[](4);
        keys[0] = ZKCreditVerifyingKeys.income();
        keys[1] = ZKCreditVerifyingKeys.creditHistory();
        keys[2] = ZKCreditVerifyingKeys.collateral();
        keys[3] = ZKCreditVerifyingKeys.identity();

        Groth16Batch.Proof[] memory proofs = new Groth16Batch.Proof[](4);
        proofs[0] = _proof(app.incomeProof);
        proofs[1] = _proof(app.creditHistoryProof);
        proofs[2] = _proof(app.collateralProof);
        proofs[3] = _proof(app.identityProof);

        uint256[][] memory inputs = new uint256[][](4);
        inputs[0] = new uint256[](9);
        for (uint256 j = 0; j < 9; ++j) {
            inputs[0][j] = app.incomeSignals[j];
        }
        inputs[1] = _signals(app.creditHistorySignals);
        inputs[2] = _signals(app.collateralSignals);
        inputs[3] = _signals(app.identitySignals);

        return Groth16Batch.verify(ZKCreditVerifyingKeys.shared(), keys, proofs, inputs, seed);
    }

    function _proof(IZKCreditVerifier.Groth16Proof calldata p) private pure returns (Groth16Batch.Proof memory q) {
        q.a = p.a;
        q.b = [p.b[0][0], p.b[0][1], p.b[1][0], p.b[1][1]];
        q.c = p.c;
    }

    function _signals(uint256[10] calldata s) private pure returns (uint256[] memory d) {
        d = new uint256[](10);
        for (uint256 j = 0; j < 10; ++j) {
            d[j] = s[j];
        }
    }
}
