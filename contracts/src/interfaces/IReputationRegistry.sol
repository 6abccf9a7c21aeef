// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title ERC-8004 reputation registry
/// @notice Clients post signed fixed-point feedback values about agents. ZKredit
///         uses it for agent feedback and, with `tag1 = "repayment"`, for a
///         borrower's repayment history as reported by lenders.
/// @dev Names follow the ERC-8004 draft (Jan 2026): `value` + `valueDecimals` encode a
///      signed decimal number; `endpoint`, `feedbackURI` and `feedbackHash` are only
///      emitted, not stored. Feedback indexes start at 1 per (agent, client) pair.
interface IReputationRegistry {
    /// @notice New feedback from `clientAddress` about `agentId`.
    event NewFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        int128 value,
        uint8 valueDecimals,
        string indexed indexedTag1,
        string tag1,
        string tag2,
        string endpoint,
        string feedbackURI,
        bytes32 feedbackHash
    );
    /// @notice The client withdrew one of its feedback entries.
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);
    /// @notice Someone (often the agent) attached a response to a feedback entry.
    event ResponseAppended(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed responder,
        string responseURI,
        bytes32 responseHash
    );

    /// @notice `agentId` is not registered in the identity registry.
    error ReputationRegistry__UnknownAgent(uint256 agentId);
    /// @notice The agent's owner, operators and wallet cannot rate their own agent.
    error ReputationRegistry__SelfFeedback(uint256 agentId, address caller);
    /// @notice `valueDecimals` is above 18.
    error ReputationRegistry__InvalidDecimals(uint8 valueDecimals);
    /// @notice No feedback with that index from that client.
    error ReputationRegistry__FeedbackNotFound(uint256 agentId, address clientAddress, uint64 feedbackIndex);
    /// @notice The feedback entry was already revoked.
    error ReputationRegistry__AlreadyRevoked(uint256 agentId, address clientAddress, uint64 feedbackIndex);
    /// @notice A response must point somewhere.
    error ReputationRegistry__EmptyResponseURI();
    /// @notice Summaries must name the clients to count (ERC-8004 Sybil mitigation).
    error ReputationRegistry__NoClients();
    /// @notice |value| must be at most 10^38 (as in the ERC-8004 reference), so that
    ///         every summary fits an int128.
    error ReputationRegistry__ValueOutOfRange(int128 value);

    /// @notice Post feedback about `agentId` as `msg.sender`; |`value`| ≤ 10^38,
    ///         `valueDecimals` ≤ 18.
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash
    ) external;

    /// @notice Revoke one of the caller's own feedback entries.
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external;

    /// @notice Attach a response to an existing feedback entry.
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external;

    /// @notice Count and average of the non-revoked feedback of `clientAddresses`,
    ///         filtered by tags (an empty tag matches all).
    /// @return count Number of entries averaged.
    /// @return summaryValue Average, truncated toward zero, at `summaryValueDecimals`.
    /// @return summaryValueDecimals The most frequent `valueDecimals` among the entries
    ///         (the smallest on a tie), as the ERC-8004 reference reports it; fewer when
    ///         the average at that scale would not fit an int128. Never reverts for the
    ///         values stored.
    function getSummary(
        uint256 agentId,
        address[] calldata clientAddresses,
        string calldata tag1,
        string calldata tag2
    ) external view returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals);

    /// @notice One feedback entry.
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked);

    /// @notice Every client that has given feedback to `agentId`.
    function getClients(uint256 agentId) external view returns (address[] memory);

    /// @notice The highest feedback index of `clientAddress` for `agentId` (0 if none).
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64);

    /// @notice The identity registry whose agents are rated here.
    function getIdentityRegistry() external view returns (address);
}
