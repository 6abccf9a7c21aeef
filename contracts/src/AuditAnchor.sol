// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

/// @title Audit log anchor
/// @notice ZKredit keeps a hash-chained audit log off chain; every entry's hash
///         covers the previous one. Anchoring the head hash and entry count here
///         fixes the log's history at that point: any later rewrite of an anchored
///         entry changes the head and no longer matches.
/// @dev Anchors are append-only and the entry count must strictly increase, so a
///      compromised anchorer can add a wrong anchor (detectable by replaying the
///      log) but cannot remove or reorder earlier ones.
contract AuditAnchor is AccessControlDefaultAdminRules {
    bytes32 public constant ANCHOR_ROLE = keccak256("ANCHOR_ROLE");

    struct Anchor {
        bytes32 headHash;
        uint64 entryCount;
        uint64 timestamp;
        uint64 blockNumber;
        address anchoredBy;
    }

    /// @notice The log head `headHash` after `entryCount` entries was anchored.
    event Anchored(uint256 indexed index, bytes32 indexed headHash, uint64 entryCount, address indexed anchoredBy);

    /// @notice The head hash must not be zero.
    error AuditAnchor__ZeroHeadHash();
    /// @notice The entry count must exceed the previous anchor's.
    error AuditAnchor__CountNotIncreasing(uint64 previousCount, uint64 entryCount);
    /// @notice No anchor at that index, or none at all yet.
    error AuditAnchor__NoAnchor(uint256 index);

    Anchor[] private _anchors;
    mapping(bytes32 headHash => uint256 indexPlusOne) private _indexOf;
    /// @dev Each anchoring agent keeps its own log, so counts increase per anchorer.
    mapping(address anchorer => uint64 entryCount) private _lastCount;

    /// @param initialDelay Delay (seconds) before a new default admin can accept.
    /// @param admin Initial default admin; grants ANCHOR_ROLE.
    constructor(uint48 initialDelay, address admin) AccessControlDefaultAdminRules(initialDelay, admin) {}

    /// @notice Anchor the current head of the sender's audit log (counts increase per sender).
    /// @return index Position of the new anchor.
    function anchor(bytes32 headHash, uint64 entryCount) external onlyRole(ANCHOR_ROLE) returns (uint256 index) {
        if (headHash == bytes32(0)) revert AuditAnchor__ZeroHeadHash();
        index = _anchors.length;
        uint64 previous = _lastCount[msg.sender];
        if (entryCount <= previous) revert AuditAnchor__CountNotIncreasing(previous, entryCount);
        _lastCount[msg.sender] = entryCount;
        _anchors.push(
            Anchor({
                headHash: headHash,
                entryCount: entryCount,
                timestamp: uint64(block.timestamp),
                blockNumber: uint64(block.number),
                anchoredBy: msg.sender
            })
        );
        _indexOf[headHash] = index + 1;
        emit Anchored(index, headHash, entryCount, msg.sender);
    }

    /// @notice Number of anchors so far.
    function anchorCount() external view returns (uint256) {
        return _anchors.length;
    }

    /// @notice The anchor at `index` (0 = oldest).
    function anchorAt(uint256 index) external view returns (Anchor memory) {
        if (index >= _anchors.length) revert AuditAnchor__NoAnchor(index);
        return _anchors[index];
    }

    /// @notice The most recent anchor.
    function latest() external view returns (Anchor memory) {
        if (_anchors.length == 0) revert AuditAnchor__NoAnchor(0);
        return _anchors[_anchors.length - 1];
    }

    /// @notice Whether `headHash` was anchored, and where.
    function findAnchor(bytes32 headHash) external view returns (bool found, uint256 index) {
        uint256 slot = _indexOf[headHash];
        return slot == 0 ? (false, 0) : (true, slot - 1);
    }
}
