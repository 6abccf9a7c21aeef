// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title ERC-8004 validation registry (the parts ZKredit uses)
/// @notice An agent asks a validator to check some work identified by `requestHash`
///         (the keccak256 of the request payload); the validator answers with a score
///         from 0 (failed) to 100 (passed), and may answer again later.
/// @dev Names follow the ERC-8004 draft. In ZKredit the only validator is the
///      ZKCreditVerifier contract: it answers 100 when four Groth16 proofs verify
///      against a registered policy, and can later answer 0 to withdraw an attestation.
interface IValidationRegistry {
    /// @notice `agentId` asked `validatorAddress` to validate `requestHash`.
    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );
    /// @notice The validator answered (or updated its answer) for `requestHash`.
    event ValidationResponse(
        address indexed validatorAddress,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        string tag
    );

    /// @notice Ask `validatorAddress` to validate `requestHash` on behalf of `agentId`.
    ///         The caller must be the agent's owner or operator.
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external;

    /// @notice Answer a request; only its validator may call. `response` is 0-100.
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external;

    /// @notice Current state of a request. Reverts for an unknown `requestHash`.
    function getValidationStatus(bytes32 requestHash)
        external
        view
        returns (
            address validatorAddress,
            uint256 agentId,
            uint8 response,
            bytes32 responseHash,
            string memory tag,
            uint256 lastUpdate
        );

    /// @notice Count and average response of `agentId`'s answered requests, filtered by
    ///         validators (all when empty) and tag (all when empty).
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 averageResponse);

    /// @notice Every request hash linked to `agentId`.
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory);

    /// @notice Every request hash addressed to `validatorAddress`, oldest first.
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory);
}
