// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title ZKredit KYC and trust registry
/// @notice The public facts the ZK proofs are checked against: KYC Merkle roots
///         (with publication times), the jurisdiction deny-set, and the BabyJubJub
///         keys of the credential issuers trusted for each credential type.
interface IKYCRegistry {
    /// @notice One issuer key as stored, for enumeration.
    struct IssuerKey {
        uint256 ax;
        uint256 ay;
        bool active;
        uint64 addedAt;
        uint64 revokedAt;
    }

    /// @notice `provider` published a new KYC Merkle root.
    event RootPublished(address indexed provider, uint256 indexed root, uint64 publishedAt);
    /// @notice A root was withdrawn before ageing out (emergency revocation).
    event RootRevoked(uint256 indexed root, address indexed provider, address indexed revokedBy);
    /// @notice The deny-set of ISO 3166-1 numeric codes and its Poseidon(8) hash changed.
    event DenyListUpdated(uint16[8] codes, uint256 denyListHash, address indexed updatedBy);
    /// @notice An issuer key became trusted for `credType`.
    event IssuerAdded(uint8 indexed credType, bytes32 indexed keyId, uint256 ax, uint256 ay);
    /// @notice An issuer key stopped being trusted for `credType`. This is final.
    event IssuerRevoked(uint8 indexed credType, bytes32 indexed keyId, uint256 ax, uint256 ay);
    /// @notice `oldKeyId` was replaced by `newKeyId` in one step.
    event IssuerRotated(uint8 indexed credType, bytes32 indexed oldKeyId, bytes32 indexed newKeyId);
    /// @notice Every attestation recorded up to `before` that used this issuer key is invalid.
    event IssuerAttestationsInvalidated(
        uint8 indexed credType, bytes32 indexed keyId, uint40 before, address indexed invalidatedBy
    );
    /// @notice Every attestation recorded up to `before` that used this root is invalid.
    event RootAttestationsInvalidated(uint256 indexed root, uint40 before, address indexed invalidatedBy);

    /// @notice A root must be a non-zero BN254 scalar-field element.
    error KYCRegistry__InvalidRoot(uint256 root);
    /// @notice The root was never published.
    error KYCRegistry__UnknownRoot(uint256 root);
    /// @notice The root was already revoked.
    error KYCRegistry__RootAlreadyRevoked(uint256 root);
    /// @notice Credential types are 1 income, 2 credit_history, 3 collateral, 4 kyc.
    error KYCRegistry__InvalidCredentialType(uint8 credType);
    /// @notice The key is not a point of BabyJubJub's prime-order subgroup candidate set
    ///         (off the curve, out of field, or the identity).
    error KYCRegistry__InvalidIssuerKey(uint256 ax, uint256 ay);
    /// @notice The key is already trusted for that credential type.
    error KYCRegistry__IssuerExists(uint8 credType, uint256 ax, uint256 ay);
    /// @notice The key was revoked before; revoked keys are never trusted again.
    error KYCRegistry__IssuerKeyRetired(uint8 credType, uint256 ax, uint256 ay);
    /// @notice The key is not currently trusted for that credential type.
    error KYCRegistry__IssuerNotTrusted(uint8 credType, uint256 ax, uint256 ay);
    /// @notice The key was never added for that credential type.
    error KYCRegistry__UnknownIssuer(uint8 credType, uint256 ax, uint256 ay);
    /// @notice Deny-set codes are ISO 3166-1 numeric (1-999), 0 for an empty slot, no repeats.
    error KYCRegistry__InvalidJurisdictionCode(uint16 code);
    /// @notice The deny-list hash must be a non-zero BN254 scalar-field element.
    error KYCRegistry__InvalidDenyListHash(uint256 denyListHash);

    /// @notice True when `root` was published, is not revoked, and its publisher is
    ///         still a KYC provider. Freshness is the caller's policy (`rootTimestamp`).
    function isKnownRoot(uint256 root) external view returns (bool);

    /// @notice Publication time of `root` (0 if never published).
    function rootTimestamp(uint256 root) external view returns (uint64);

    /// @notice The most recent root published by `provider` (0 if none).
    function latestRoot(address provider) external view returns (uint256);

    /// @notice Poseidon(8) hash of the current deny-set, as used by the identity circuit.
    function denyListHash() external view returns (uint256);

    /// @notice True when (`ax`, `ay`) is a trusted issuer key for `credType`.
    function isTrustedIssuer(uint8 credType, uint256 ax, uint256 ay) external view returns (bool);

    /// @notice What an application relies on, in one call. `issuerKeys` are (Ax, Ay) of
    ///         the income, credit_history, collateral and kyc issuer keys in that order.
    /// @return ordinals The ordinal of each issuer key that is trusted now (0 if it is
    ///         not) and, last, of the root if it is known now (0 if not). Ordinals name
    ///         keys and roots in `trustInvalidatedAt`.
    /// @return rootPublishedAt When the root was (last) published, for freshness.
    function checkTrust(uint256[8] calldata issuerKeys, uint256 root)
        external
        view
        returns (uint32[5] memory ordinals, uint64 rootPublishedAt);

    /// @notice The latest invalidation time of the four issuer keys and the root named
    ///         by `ordinals` (as `checkTrust` returned them; 0 entries are skipped).
    ///         An attestation recorded at or before it is no longer valid.
    function trustInvalidatedAt(uint32[5] calldata ordinals) external view returns (uint64 latest);

    /// @notice Invalidate every attestation recorded until now that relied on this
    ///         issuer key (issuer admins; e.g. the key leaked). Later attestations are
    ///         unaffected, so revoke the key too to stop new ones.
    function invalidateIssuerAttestations(uint8 credType, uint256 ax, uint256 ay) external;

    /// @notice Invalidate every attestation recorded until now that relied on `root`
    ///         (its publisher or an issuer admin; e.g. a tree built from forged
    ///         documents). Revoke the root too to stop new ones.
    function invalidateRootAttestations(uint256 root) external;
}
