// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

import {IKYCRegistry} from "./interfaces/IKYCRegistry.sol";
import {BabyJubJub} from "./libraries/BabyJubJub.sol";

/// @title ZKredit KYC and trust registry
/// @notice Holds what the identity, income, credit and collateral proofs are checked
///         against on chain:
///         - KYC Merkle roots. A KYC provider publishes a new root whenever its tree
///           changes; removing a person from the tree and publishing the new root is
///           how KYC is revoked. Old roots stay known but age out under each
///           verifier policy's maximum root age. `revokeRoot` is for emergencies
///           (e.g. a tree built from forged documents).
///         - The jurisdiction deny-set: 8 ISO 3166-1 numeric codes (0 = empty slot)
///           and their Poseidon(8) hash, the public input of the identity circuit.
///           Poseidon is not computed here; the policy admin submits the hash with
///           the codes (ZKredit computes it in Python), and the contract stores both
///           so anyone can recompute and audit it.
///         - Trusted issuer keys (BabyJubJub points) per credential type.
///         - Invalidation epochs: when an issuer key or a root turns out to be
///           compromised, `invalidateIssuerAttestations` / `invalidateRootAttestations`
///           make every credit attestation recorded until now on its strength invalid
///           at once (ZKCreditVerifier records which keys and root each attestation
///           used, by their ordinals here, and asks `trustInvalidatedAt`).
/// @dev Roles: KYC_PROVIDER_ROLE publishes (and re-attests) roots; ISSUER_ADMIN_ROLE
///      manages issuer keys, their invalidation epochs, and may revoke or invalidate
///      any root; POLICY_ADMIN_ROLE sets the deny-set. The default admin grants roles
///      and can only be transferred in two steps after a delay (OpenZeppelin
///      AccessControlDefaultAdminRules).
contract ERC8004KYCRegistry is AccessControlDefaultAdminRules, IKYCRegistry {
    bytes32 public constant KYC_PROVIDER_ROLE = keccak256("KYC_PROVIDER_ROLE");
    bytes32 public constant ISSUER_ADMIN_ROLE = keccak256("ISSUER_ADMIN_ROLE");
    bytes32 public constant POLICY_ADMIN_ROLE = keccak256("POLICY_ADMIN_ROLE");

    uint8 public constant CRED_INCOME = 1;
    uint8 public constant CRED_CREDIT_HISTORY = 2;
    uint8 public constant CRED_COLLATERAL = 3;
    uint8 public constant CRED_KYC = 4;

    uint256 private constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint16 private constant MAX_ISO3166_CODE = 999;

    // Slot 0 is all the verification path reads.
    struct RootRecord {
        address provider;
        uint40 publishedAt;
        bool revoked;
        uint32 ordinal; // 1 + index in _rootHistory
        uint40 invalidatedAt; // attestations recorded up to this time are invalid
    }

    struct IssuerRecord {
        uint8 credType;
        bool active;
        bool retired;
        uint64 addedAt;
        uint64 revokedAt;
        uint32 ordinal; // 1, 2, ... in order of addition, across credential types
        uint40 invalidatedAt; // attestations recorded up to this time are invalid
        uint256 ax;
        uint256 ay;
    }

    mapping(uint256 root => RootRecord) private _roots;
    mapping(address provider => uint256 root) private _latestRoot;
    uint256[] private _rootHistory;

    mapping(bytes32 keyId => IssuerRecord) private _issuers;
    mapping(uint8 credType => bytes32[] keyIds) private _issuerKeyIds;
    mapping(uint32 ordinal => bytes32 keyId) private _issuerOfOrdinal;
    uint32 private _issuerCount;

    uint16[8] private _denyCodes;
    uint256 private _denyListHash;

    /// @param initialDelay Delay (seconds) before a new default admin can accept.
    /// @param admin Initial default admin.
    constructor(uint48 initialDelay, address admin) AccessControlDefaultAdminRules(initialDelay, admin) {}

    // ------------------------------------------------------------------ roots

    /// @notice Publish a KYC Merkle root as the caller's latest. Publishing a root that
    ///         is already published and not revoked re-attests it: the caller becomes
    ///         its provider and its publication time is now. That is how a provider
    ///         whose key was rotated keeps its roots known, and how an unchanged tree
    ///         is refreshed within a policy's maximum root age. A revoked root never
    ///         comes back.
    function publishRoot(uint256 root) external onlyRole(KYC_PROVIDER_ROLE) {
        if (root == 0 || root >= SNARK_SCALAR_FIELD) revert KYCRegistry__InvalidRoot(root);
        RootRecord storage rec = _roots[root];
        if (rec.revoked) revert KYCRegistry__RootAlreadyRevoked(root);
        uint40 now_ = uint40(block.timestamp);
        if (rec.publishedAt == 0) {
            _rootHistory.push(root);
            rec.ordinal = uint32(_rootHistory.length);
        }
        rec.provider = msg.sender;
        rec.publishedAt = now_;
        _latestRoot[msg.sender] = root;
        emit RootPublished(msg.sender, root, now_);
    }

    /// @notice Withdraw a root at once instead of letting it age out. Allowed for the
    ///         provider that published it and for issuer admins.
    function revokeRoot(uint256 root) external {
        RootRecord storage rec = _requireRootAuthority(root);
        if (rec.revoked) revert KYCRegistry__RootAlreadyRevoked(root);
        rec.revoked = true;
        emit RootRevoked(root, rec.provider, msg.sender);
    }

    /// @inheritdoc IKYCRegistry
    function invalidateRootAttestations(uint256 root) external {
        RootRecord storage rec = _requireRootAuthority(root);
        uint40 now_ = uint40(block.timestamp);
        rec.invalidatedAt = now_;
        emit RootAttestationsInvalidated(root, now_, msg.sender);
    }

    /// @inheritdoc IKYCRegistry
    function isKnownRoot(uint256 root) external view returns (bool) {
        return _isKnown(_roots[root]);
    }

    /// @inheritdoc IKYCRegistry
    function rootTimestamp(uint256 root) external view returns (uint64) {
        return _roots[root].publishedAt;
    }

    /// @notice Full record of a root: (latest) publisher, publication time, revocation flag.
    function rootInfo(uint256 root) external view returns (address provider, uint64 publishedAt, bool revoked) {
        RootRecord storage rec = _roots[root];
        return (rec.provider, rec.publishedAt, rec.revoked);
    }

    /// @notice Attestations that used `root` and were recorded at or before this time
    ///         are invalid (0: none).
    function rootAttestationsInvalidatedAt(uint256 root) external view returns (uint64) {
        return _roots[root].invalidatedAt;
    }

    /// @inheritdoc IKYCRegistry
    function latestRoot(address provider) external view returns (uint256) {
        return _latestRoot[provider];
    }

    /// @notice Number of roots ever published, by any provider.
    function rootHistoryLength() external view returns (uint256) {
        return _rootHistory.length;
    }

    /// @notice The `index`-th root ever published (oldest first).
    function rootAt(uint256 index) external view returns (uint256) {
        return _rootHistory[index];
    }

    // -------------------------------------------------------------- deny-set

    /// @notice Replace the jurisdiction deny-set.
    /// @param codes Eight ISO 3166-1 numeric codes, 0 for an unused slot, in the
    ///        order the identity circuit hashes them.
    /// @param denyListHash_ Poseidon(codes) computed off chain; stored verbatim.
    function setDenyList(uint16[8] calldata codes, uint256 denyListHash_) external onlyRole(POLICY_ADMIN_ROLE) {
        if (denyListHash_ == 0 || denyListHash_ >= SNARK_SCALAR_FIELD) {
            revert KYCRegistry__InvalidDenyListHash(denyListHash_);
        }
        for (uint256 i = 0; i < 8; ++i) {
            uint16 code = codes[i];
            if (code > MAX_ISO3166_CODE) revert KYCRegistry__InvalidJurisdictionCode(code);
            if (code == 0) continue;
            for (uint256 j = 0; j < i; ++j) {
                if (codes[j] == code) revert KYCRegistry__InvalidJurisdictionCode(code);
            }
        }
        _denyCodes = codes;
        _denyListHash = denyListHash_;
        emit DenyListUpdated(codes, denyListHash_, msg.sender);
    }

    /// @notice The deny-set codes and their hash.
    function denyList() external view returns (uint16[8] memory codes, uint256 hash) {
        return (_denyCodes, _denyListHash);
    }

    /// @inheritdoc IKYCRegistry
    function denyListHash() external view returns (uint256) {
        return _denyListHash;
    }

    // --------------------------------------------------------------- issuers

    /// @notice Trust (`ax`, `ay`) for credentials of `credType`.
    function addIssuer(uint8 credType, uint256 ax, uint256 ay) external onlyRole(ISSUER_ADMIN_ROLE) {
        _addIssuer(credType, ax, ay);
    }

    /// @notice Stop trusting (`ax`, `ay`) for `credType`. Final: the key cannot be re-added.
    function revokeIssuer(uint8 credType, uint256 ax, uint256 ay) external onlyRole(ISSUER_ADMIN_ROLE) {
        _revokeIssuer(credType, ax, ay);
    }

    /// @notice Replace an issuer key in one transaction, so there is no moment with
    ///         both or neither key trusted.
    function rotateIssuer(uint8 credType, uint256 oldAx, uint256 oldAy, uint256 newAx, uint256 newAy)
        external
        onlyRole(ISSUER_ADMIN_ROLE)
    {
        bytes32 oldId = _revokeIssuer(credType, oldAx, oldAy);
        bytes32 newId = _addIssuer(credType, newAx, newAy);
        emit IssuerRotated(credType, oldId, newId);
    }

    /// @inheritdoc IKYCRegistry
    function invalidateIssuerAttestations(uint8 credType, uint256 ax, uint256 ay)
        external
        onlyRole(ISSUER_ADMIN_ROLE)
    {
        bytes32 keyId = issuerKeyId(credType, ax, ay);
        IssuerRecord storage rec = _issuers[keyId];
        if (rec.ordinal == 0) revert KYCRegistry__UnknownIssuer(credType, ax, ay);
        uint40 now_ = uint40(block.timestamp);
        rec.invalidatedAt = now_;
        emit IssuerAttestationsInvalidated(credType, keyId, now_, msg.sender);
    }

    /// @inheritdoc IKYCRegistry
    function isTrustedIssuer(uint8 credType, uint256 ax, uint256 ay) external view returns (bool) {
        IssuerRecord storage rec = _issuers[issuerKeyId(credType, ax, ay)];
        return rec.active;
    }

    /// @notice Attestations that used this key and were recorded at or before this time
    ///         are invalid (0: none).
    function issuerAttestationsInvalidatedAt(uint8 credType, uint256 ax, uint256 ay)
        external
        view
        returns (uint64)
    {
        return _issuers[issuerKeyId(credType, ax, ay)].invalidatedAt;
    }

    // ----------------------------------------------------------- attestations

    /// @inheritdoc IKYCRegistry
    function checkTrust(uint256[8] calldata issuerKeys, uint256 root)
        external
        view
        returns (uint32[5] memory ordinals, uint64 rootPublishedAt)
    {
        for (uint256 i = 0; i < 4; ++i) {
            IssuerRecord storage issuer = _issuers[issuerKeyId(uint8(i + 1), issuerKeys[2 * i], issuerKeys[2 * i + 1])];
            if (issuer.active) ordinals[i] = issuer.ordinal;
        }
        RootRecord storage rec = _roots[root];
        if (_isKnown(rec)) ordinals[4] = rec.ordinal;
        rootPublishedAt = rec.publishedAt;
    }

    /// @inheritdoc IKYCRegistry
    function trustInvalidatedAt(uint32[5] calldata ordinals) external view returns (uint64 latest) {
        for (uint256 i = 0; i < 4; ++i) {
            if (ordinals[i] == 0) continue;
            uint64 at = _issuers[_issuerOfOrdinal[ordinals[i]]].invalidatedAt;
            if (at > latest) latest = at;
        }
        if (ordinals[4] != 0 && ordinals[4] <= _rootHistory.length) {
            uint64 at = _roots[_rootHistory[ordinals[4] - 1]].invalidatedAt;
            if (at > latest) latest = at;
        }
    }

    /// @notice Every key ever added for `credType`, active or revoked.
    function getIssuers(uint8 credType) external view returns (IssuerKey[] memory keys) {
        bytes32[] storage ids = _issuerKeyIds[credType];
        keys = new IssuerKey[](ids.length);
        for (uint256 i = 0; i < ids.length; ++i) {
            IssuerRecord storage rec = _issuers[ids[i]];
            keys[i] = IssuerKey({
                ax: rec.ax, ay: rec.ay, active: rec.active, addedAt: rec.addedAt, revokedAt: rec.revokedAt
            });
        }
    }

    /// @notice Identifier of an issuer key for one credential type.
    function issuerKeyId(uint8 credType, uint256 ax, uint256 ay) public pure returns (bytes32) {
        return keccak256(abi.encode(credType, ax, ay));
    }

    function _addIssuer(uint8 credType, uint256 ax, uint256 ay) private returns (bytes32 keyId) {
        if (credType < CRED_INCOME || credType > CRED_KYC) revert KYCRegistry__InvalidCredentialType(credType);
        if (!BabyJubJub.isValidKey(ax, ay)) revert KYCRegistry__InvalidIssuerKey(ax, ay);
        keyId = issuerKeyId(credType, ax, ay);
        IssuerRecord storage rec = _issuers[keyId];
        if (rec.active) revert KYCRegistry__IssuerExists(credType, ax, ay);
        if (rec.retired) revert KYCRegistry__IssuerKeyRetired(credType, ax, ay);
        uint32 ordinal = ++_issuerCount;
        _issuers[keyId] = IssuerRecord({
            credType: credType,
            active: true,
            retired: false,
            addedAt: uint64(block.timestamp),
            revokedAt: 0,
            ordinal: ordinal,
            invalidatedAt: 0,
            ax: ax,
            ay: ay
        });
        _issuerOfOrdinal[ordinal] = keyId;
        _issuerKeyIds[credType].push(keyId);
        emit IssuerAdded(credType, keyId, ax, ay);
    }

    function _revokeIssuer(uint8 credType, uint256 ax, uint256 ay) private returns (bytes32 keyId) {
        keyId = issuerKeyId(credType, ax, ay);
        IssuerRecord storage rec = _issuers[keyId];
        if (!rec.active) revert KYCRegistry__IssuerNotTrusted(credType, ax, ay);
        rec.active = false;
        rec.retired = true;
        rec.revokedAt = uint64(block.timestamp);
        emit IssuerRevoked(credType, keyId, ax, ay);
    }

    function _isKnown(RootRecord storage rec) private view returns (bool) {
        return rec.publishedAt != 0 && !rec.revoked && hasRole(KYC_PROVIDER_ROLE, rec.provider);
    }

    /// @dev The root's record, if the caller is its publisher (still a provider) or an
    ///      issuer admin.
    function _requireRootAuthority(uint256 root) private view returns (RootRecord storage rec) {
        rec = _roots[root];
        if (rec.publishedAt == 0) revert KYCRegistry__UnknownRoot(root);
        bool isPublisher = rec.provider == msg.sender && hasRole(KYC_PROVIDER_ROLE, msg.sender);
        if (!isPublisher && !hasRole(ISSUER_ADMIN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, ISSUER_ADMIN_ROLE);
        }
    }
}
