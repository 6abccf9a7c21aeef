// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IZKCreditVerifier} from "../src/interfaces/IZKCreditVerifier.sol";
import {ZKCreditBatchGroth16} from "../src/ZKCreditBatchGroth16.sol";

/// @title TEST DOUBLE: the batched check under a seed the caller chooses
/// @notice Exposes what ZKCreditBatchGroth16 must never expose, so that a test can
///         show a forgery for a known seed satisfies the batched equation (and that
///         the shipped contract, which derives its own seed, refuses it). NEVER
///         deploy outside tests: it accepts forged proofs.
contract Groth16BatchSeededHarness is ZKCreditBatchGroth16 {
    /// @notice The batched check of `app` with coefficients drawn from `seed`.
    function verifyWithSeed(IZKCreditVerifier.Application calldata app, uint256 seed)
        external
        view
        returns (bool)
    {
        return _verify(app, seed);
    }
}
