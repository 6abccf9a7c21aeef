// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title What the credit registry asks of the contract it lets record attestations
/// @notice ZKCreditVerifier implements it. The registry accepts a validator only if
///         it names this registry as the one it writes to.
interface IAttestationValidator {
    /// @notice The credit registry this validator records its attestations in.
    function creditRegistry() external view returns (address);
}
