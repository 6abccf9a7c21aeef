// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ICreditRegistry} from "../src/interfaces/ICreditRegistry.sol";

/// @title TEST DOUBLE: a validator that forwards whatever it is told to the credit registry
/// @notice Lets the credit registry be driven directly (no proofs, no policy). It is
///         "wired" to the registry given at construction, so the registry accepts it
///         as a verifier. NEVER deploy outside tests: anyone can make it attest.
contract AttestationWriterMock {
    /// @notice The registry this validator writes to.
    address public immutable creditRegistry;

    /// @notice What `isAttestationCurrent` answers.
    bool public current = true;

    constructor(address registry) {
        creditRegistry = registry;
    }

    /// @notice Set the answer of `isAttestationCurrent`.
    function setCurrent(bool current_) external {
        current = current_;
    }

    /// @notice The canned answer, for every attestation.
    function isAttestationCurrent(bytes32, bytes32) external view returns (bool) {
        return current;
    }

    /// @notice Record `att` as if four proofs had verified, submitted by the caller.
    function record(ICreditRegistry.Attestation calldata att) external {
        ICreditRegistry(creditRegistry).recordAttestation(att, msg.sender);
    }

    /// @notice Answer (or re-answer) a validation request.
    function respond(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external {
        ICreditRegistry(creditRegistry).validationResponse(requestHash, response, responseURI, responseHash, tag);
    }
}
