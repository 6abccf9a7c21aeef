// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title What the credit registry asks of the contract it lets record attestations
/// @notice ZKCreditVerifier implements it (its `creditRegistry` getter returns the
///         registry as an address in the ABI). The registry accepts a validator only if
///         it names this registry, and asks it whether an attestation is still covered
///         by no invalidation epoch.
interface IAttestationValidator {
    /// @notice The credit registry this validator records its attestations in.
    function creditRegistry() external view returns (address);

    /// @notice False when the validator no longer stands by the attestation under
    ///         `requestHash` (recorded under `policyHash`): an invalidation epoch of its
    ///         policy, issuer keys or KYC root covers it, or the validator never made it.
    function isAttestationCurrent(bytes32 requestHash, bytes32 policyHash) external view returns (bool);
}
