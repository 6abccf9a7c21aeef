// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";

/// @title ZKredit ERC-8004 reputation registry
/// @notice Feedback about agents, and lenders' repayment reports about borrowers
///         (`tag1 = "repayment"`, e.g. value 1 = paid on time, -1 = late).
/// @dev Anyone may give feedback except the agent's own owner, operators and payment
///      wallet. Summaries must name their clients: an unfiltered average would let
///      anyone with many addresses set an agent's score. No admin, no upgrades.
contract ERC8004ReputationRegistry is IReputationRegistry {
    struct Feedback {
        int128 value;
        uint8 valueDecimals;
        bool isRevoked;
        string tag1;
        string tag2;
    }

    uint8 public constant MAX_DECIMALS = 18;
    /// @notice Largest |value| of one feedback entry (the ERC-8004 reference's bound).
    int128 public constant MAX_ABS_VALUE = 1e38;

    IIdentityRegistry private immutable _identity;

    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => Feedback))) private _feedback;
    mapping(uint256 agentId => mapping(address client => uint64 lastIndex)) private _lastIndex;
    mapping(uint256 agentId => address[] clients) private _clients;
    mapping(uint256 agentId => mapping(address client => bool)) private _isClient;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => mapping(address responder => uint64))))
        private _responseCount;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => address[] responders))) private
        _responders;

    /// @param identityRegistry The ERC-8004 identity registry of the rated agents.
    constructor(IIdentityRegistry identityRegistry) {
        _identity = identityRegistry;
    }

    /// @inheritdoc IReputationRegistry
    /// @dev The strings are `memory` (one stack slot each, not two) so that the
    ///      eleven-field event fits the legacy code generator's stack.
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash
    ) external {
        if (valueDecimals > MAX_DECIMALS) revert ReputationRegistry__InvalidDecimals(valueDecimals);
        if (value > MAX_ABS_VALUE || value < -MAX_ABS_VALUE) revert ReputationRegistry__ValueOutOfRange(value);
        _requireNotSelf(agentId);

        uint64 index = ++_lastIndex[agentId][msg.sender];
        _feedback[agentId][msg.sender][index] =
            Feedback({value: value, valueDecimals: valueDecimals, isRevoked: false, tag1: tag1, tag2: tag2});
        if (!_isClient[agentId][msg.sender]) {
            _isClient[agentId][msg.sender] = true;
            _clients[agentId].push(msg.sender);
        }
        emit NewFeedback(
            agentId, msg.sender, index, value, valueDecimals, tag1, tag1, tag2, endpoint, feedbackURI, feedbackHash
        );
    }

    /// @inheritdoc IReputationRegistry
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external {
        Feedback storage fb = _existing(agentId, msg.sender, feedbackIndex);
        if (fb.isRevoked) revert ReputationRegistry__AlreadyRevoked(agentId, msg.sender, feedbackIndex);
        fb.isRevoked = true;
        emit FeedbackRevoked(agentId, msg.sender, feedbackIndex);
    }

    /// @inheritdoc IReputationRegistry
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external {
        if (bytes(responseURI).length == 0) revert ReputationRegistry__EmptyResponseURI();
        _existing(agentId, clientAddress, feedbackIndex);
        if (_responseCount[agentId][clientAddress][feedbackIndex][msg.sender]++ == 0) {
            _responders[agentId][clientAddress][feedbackIndex].push(msg.sender);
        }
        emit ResponseAppended(agentId, clientAddress, feedbackIndex, msg.sender, responseURI, responseHash);
    }

    // ------------------------------------------------------------------ reads

    /// @inheritdoc IReputationRegistry
    function getSummary(
        uint256 agentId,
        address[] calldata clientAddresses,
        string calldata tag1,
        string calldata tag2
    ) external view returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals) {
        if (clientAddresses.length == 0) revert ReputationRegistry__NoClients();
        int256 sumWad;
        uint64[19] memory perDecimals;
        (sumWad, count, perDecimals) =
            _aggregate(agentId, clientAddresses, _filterHash(tag1), _filterHash(tag2));
        if (count == 0) return (0, 0, 0);
        // Report at the most frequent scale (the smallest on a tie), like the reference.
        uint64 best;
        for (uint8 d = 0; d <= MAX_DECIMALS; ++d) {
            if (perDecimals[d] > best) (best, summaryValueDecimals) = (perDecimals[d], d);
        }
        // |average| ≤ 10^38 · 10^18, so at 0 decimals it is ≤ 10^38 < 2^127: coarsening
        // the scale until the average fits always ends, and nothing reverts.
        int256 averageWad = sumWad / int256(uint256(count));
        int256 scaled = averageWad / int256(10 ** uint256(MAX_DECIMALS - summaryValueDecimals));
        while (scaled > type(int128).max || scaled < -type(int128).max) {
            --summaryValueDecimals;
            scaled = averageWad / int256(10 ** uint256(MAX_DECIMALS - summaryValueDecimals));
        }
        summaryValue = int128(scaled);
    }

    /// @inheritdoc IReputationRegistry
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked)
    {
        Feedback storage fb = _existing(agentId, clientAddress, feedbackIndex);
        return (fb.value, fb.valueDecimals, fb.tag1, fb.tag2, fb.isRevoked);
    }

    /// @notice Every matching feedback entry of `clientAddresses` (all clients when
    ///         empty), optionally including revoked ones.
    function readAllFeedback(
        uint256 agentId,
        address[] memory clientAddresses,
        string memory tag1,
        string memory tag2,
        bool includeRevoked
    )
        external
        view
        returns (
            address[] memory clients,
            uint64[] memory feedbackIndexes,
            int128[] memory values,
            uint8[] memory valueDecimals,
            string[] memory tag1s,
            string[] memory tag2s,
            bool[] memory revokedStatuses
        )
    {
        if (clientAddresses.length == 0) clientAddresses = _clients[agentId];
        (clients, feedbackIndexes) =
            _select(agentId, clientAddresses, _memHash(tag1), _memHash(tag2), includeRevoked);
        (values, valueDecimals, tag1s, tag2s, revokedStatuses) = _details(agentId, clients, feedbackIndexes);
    }

    /// @notice Number of responses to one feedback entry, from `responders` (all
    ///         responders when empty).
    function getResponseCount(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        address[] calldata responders
    ) external view returns (uint64 count) {
        mapping(address => uint64) storage counts = _responseCount[agentId][clientAddress][feedbackIndex];
        address[] memory list = responders;
        if (list.length == 0) list = _responders[agentId][clientAddress][feedbackIndex];
        for (uint256 i = 0; i < list.length; ++i) {
            count += counts[list[i]];
        }
    }

    /// @inheritdoc IReputationRegistry
    function getClients(uint256 agentId) external view returns (address[] memory) {
        return _clients[agentId];
    }

    /// @inheritdoc IReputationRegistry
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64) {
        return _lastIndex[agentId][clientAddress];
    }

    /// @inheritdoc IReputationRegistry
    function getIdentityRegistry() external view returns (address) {
        return address(_identity);
    }

    // --------------------------------------------------------------- internal

    /// @dev Sum of the matching entries at 18 decimals, their count, and how many used
    ///      each `valueDecimals`. |value| ≤ 10^38 and the scale factor ≤ 10^18, so each
    ///      term is below 2^187 and an int256 sum of up to 2^64 terms cannot overflow.
    function _aggregate(uint256 agentId, address[] calldata clients, bytes32 tag1Hash, bytes32 tag2Hash)
        private
        view
        returns (int256 sumWad, uint64 count, uint64[19] memory perDecimals)
    {
        for (uint256 i = 0; i < clients.length; ++i) {
            mapping(uint64 => Feedback) storage entries = _feedback[agentId][clients[i]];
            uint64 last = _lastIndex[agentId][clients[i]];
            for (uint64 j = 1; j <= last; ++j) {
                Feedback storage fb = entries[j];
                if (!_matches(fb, tag1Hash, tag2Hash)) continue;
                sumWad += int256(fb.value) * int256(10 ** uint256(MAX_DECIMALS - fb.valueDecimals));
                ++perDecimals[fb.valueDecimals];
                ++count;
            }
        }
    }

    /// @dev (client, index) of every selected entry, in client then index order.
    function _select(
        uint256 agentId,
        address[] memory clientList,
        bytes32 tag1Hash,
        bytes32 tag2Hash,
        bool includeRevoked
    ) private view returns (address[] memory clients, uint64[] memory indexes) {
        {
            uint256 total;
            for (uint256 i = 0; i < clientList.length; ++i) {
                total += _lastIndex[agentId][clientList[i]];
            }
            clients = new address[](total);
            indexes = new uint64[](total);
        }
        uint256 k;
        for (uint256 i = 0; i < clientList.length; ++i) {
            address client = clientList[i];
            mapping(uint64 => Feedback) storage entries = _feedback[agentId][client];
            uint64 last = _lastIndex[agentId][client];
            for (uint64 j = 1; j <= last; ++j) {
                if (!_selected(entries[j], tag1Hash, tag2Hash, includeRevoked)) continue;
                clients[k] = client;
                indexes[k] = j;
                ++k;
            }
        }
        // Shrink both arrays to the number of selected entries.
        assembly ("memory-safe") {
            mstore(clients, k)
            mstore(indexes, k)
        }
    }

    function _details(uint256 agentId, address[] memory clients, uint64[] memory indexes)
        private
        view
        returns (
            int128[] memory values,
            uint8[] memory valueDecimals,
            string[] memory tag1s,
            string[] memory tag2s,
            bool[] memory revokedStatuses
        )
    {
        uint256 n = clients.length;
        values = new int128[](n);
        valueDecimals = new uint8[](n);
        tag1s = new string[](n);
        tag2s = new string[](n);
        revokedStatuses = new bool[](n);
        for (uint256 k = 0; k < n; ++k) {
            Feedback storage fb = _feedback[agentId][clients[k]][indexes[k]];
            values[k] = fb.value;
            valueDecimals[k] = fb.valueDecimals;
            tag1s[k] = fb.tag1;
            tag2s[k] = fb.tag2;
            revokedStatuses[k] = fb.isRevoked;
        }
    }

    function _requireNotSelf(uint256 agentId) private view {
        try _identity.ownerOf(agentId) returns (address) {}
        catch {
            revert ReputationRegistry__UnknownAgent(agentId);
        }
        if (_identity.isAuthorizedOrOwner(msg.sender, agentId) || msg.sender == _identity.getAgentWallet(agentId)) {
            revert ReputationRegistry__SelfFeedback(agentId, msg.sender);
        }
    }

    function _existing(uint256 agentId, address client, uint64 index) private view returns (Feedback storage) {
        if (index == 0 || index > _lastIndex[agentId][client]) {
            revert ReputationRegistry__FeedbackNotFound(agentId, client, index);
        }
        return _feedback[agentId][client][index];
    }

    function _memHash(string memory tag) private pure returns (bytes32) {
        return bytes(tag).length == 0 ? bytes32(0) : keccak256(bytes(tag));
    }

    function _filterHash(string calldata tag) private pure returns (bytes32) {
        return bytes(tag).length == 0 ? bytes32(0) : keccak256(bytes(tag));
    }

    function _matches(Feedback storage fb, bytes32 tag1Hash, bytes32 tag2Hash) private view returns (bool) {
        return _selected(fb, tag1Hash, tag2Hash, false);
    }

    function _selected(Feedback storage fb, bytes32 tag1Hash, bytes32 tag2Hash, bool includeRevoked)
        private
        view
        returns (bool)
    {
        if (fb.isRevoked && !includeRevoked) return false;
        if (tag1Hash != bytes32(0) && keccak256(bytes(fb.tag1)) != tag1Hash) return false;
        if (tag2Hash != bytes32(0) && keccak256(bytes(fb.tag2)) != tag2Hash) return false;
        return true;
    }
}
