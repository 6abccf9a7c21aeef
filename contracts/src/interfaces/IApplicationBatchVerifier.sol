// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IZKCreditVerifier} from "./IZKCreditVerifier.sol";

/// @title Batched verifier of the four proofs of an application
interface IApplicationBatchVerifier {
    /// @notice True iff all four proofs of `app` verify. `seed` must be a hash of the
    ///         whole application, fixed only after the proofs were chosen.
    function verifyApplication(IZKCreditVerifier.Application calldata app, uint256 seed)
        external
        view
        returns (bool);
}
