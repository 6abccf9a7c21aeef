// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IZKCreditVerifier} from "./IZKCreditVerifier.sol";

/// @title Batched verifier of the four proofs of an application
interface IApplicationBatchVerifier {
    /// @notice True iff all four proofs of `app` verify. The coefficients of the
    ///         batched check are derived inside from the whole application, never
    ///         supplied by the caller.
    function verifyApplication(IZKCreditVerifier.Application calldata app) external view returns (bool);
}
