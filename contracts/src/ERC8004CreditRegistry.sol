// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

import {IAttestationValidator} from "./interfaces/IAttestationValidator.sol";
import {ICreditRegistry} from "./interfaces/ICreditRegistry.sol";
import {IValidationRegistry} from "./interfaces/IValidationRegistry.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title ZKredit credit attestation registry (ERC-8004 validation semantics)
/// @notice Stores the credit attestations the ZKCreditVerifier writes after four
///         proofs verified, and the set of consumed nullifiers. Each attestation is
///         also an ERC-8004 validation: `requestHash` is the keccak256 of the
///         application, the verifier is the validator, and its response is 100 when
///         it attests or 0 if it later withdraws the attestation. An attestation
///         naming an agent needs that agent's consent: its earlier `validationRequest`,
///         or a submitter that is the agent's owner, operator or verified wallet.
/// @dev The nullifier set lives here, not in the verifier, so that a replacement
///      verifier (after a key ceremony or a fix) cannot accept a nullifier its
///      predecessor already consumed. The default admin (two-step transfer with a
///      delay) can only repoint `verifier`, and only in two steps: `proposeVerifier`
///      names a contract wired to this registry, `acceptVerifier` makes it current no
///      sooner than `verifierDelay` seconds later, so everyone relying on the
///      registry sees a repoint coming. Only the current verifier is trusted: the
///      attestations of a replaced verifier stop being valid. The admin cannot write
///      or edit attestations.
contract ERC8004CreditRegistry is AccessControlDefaultAdminRules, ICreditRegistry {
    /// @notice Tag of the validation responses that carry an attestation.
    string public constant ATTESTATION_TAG = "zkcredit";
    /// @notice Tag of the response with which the lender agent closes an attestation
    ///         (loan repaid or cancelled), freeing the borrower's pseudonym.
    string public constant RELEASED_TAG = "released";
    uint8 public constant MAX_RESPONSE = 100;

    // Packed to keep the attestation write at five storage slots.
    struct Record {
        // slot 0
        address validator;
        uint40 lastUpdate;
        uint8 response;
        bool hasResponse;
        bool attested;
        // slot 1
        address subject;
        uint8 tier;
        uint16 currency;
        uint64 expiry;
        // slot 2
        uint256 nullifier;
        // slot 3
        uint128 limit;
        uint128 agentId;
        // slot 4
        bytes32 policyHash;
        // written only by explicit validation responses
        bytes32 responseHash;
        string tag;
    }

    /// @notice Seconds between proposing a new verifier and accepting it.
    uint48 public immutable verifierDelay;

    IIdentityRegistry private immutable _identity;
    address private _verifier;
    address private _pendingVerifier;
    uint48 private _pendingVerifierReadyAt;

    mapping(bytes32 requestHash => Record) private _records;
    mapping(uint256 nullifier => bytes32 requestHash) private _requestOfNullifier;
    mapping(address subject => bytes32 requestHash) private _latestRequestOf;
    mapping(uint256 agentId => bytes32[] requestHashes) private _agentValidations;
    mapping(address validator => bytes32[] requestHashes) private _validatorRequests;

    /// @param initialDelay Delay (seconds) before a new default admin can accept.
    /// @param admin Initial default admin (may repoint the verifier).
    /// @param identity ERC-8004 identity registry of requesting agents.
    /// @param verifierDelay_ Seconds a proposed verifier waits before it can be accepted
    ///        (0 only on development chains).
    constructor(uint48 initialDelay, address admin, IIdentityRegistry identity, uint48 verifierDelay_)
        AccessControlDefaultAdminRules(initialDelay, admin)
    {
        if (address(identity) == address(0)) revert CreditRegistry__ZeroAddress();
        _identity = identity;
        verifierDelay = verifierDelay_;
    }

    // ------------------------------------------------------------- verifier

    /// @inheritdoc ICreditRegistry
    /// @dev The very first verifier is acceptable at once: until then no attestation
    ///      exists to protect (it stands in for a constructor argument, which cannot
    ///      be given because the verifier's constructor needs this registry's address).
    function proposeVerifier(address newVerifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newVerifier == _verifier) revert CreditRegistry__AlreadyVerifier(newVerifier);
        _requireWired(newVerifier);
        uint48 readyAt = uint48(block.timestamp) + (_verifier == address(0) ? 0 : verifierDelay);
        _pendingVerifier = newVerifier;
        _pendingVerifierReadyAt = readyAt;
        emit VerifierProposed(newVerifier, readyAt);
    }

    /// @inheritdoc ICreditRegistry
    function acceptVerifier() external onlyRole(DEFAULT_ADMIN_ROLE) {
        address newVerifier = _pendingVerifier;
        if (newVerifier == address(0)) revert CreditRegistry__NoPendingVerifier();
        uint48 readyAt = _pendingVerifierReadyAt;
        if (block.timestamp < readyAt) revert CreditRegistry__VerifierNotReady(readyAt);
        _requireWired(newVerifier);
        emit VerifierUpdated(_verifier, newVerifier);
        _verifier = newVerifier;
        delete _pendingVerifier;
        delete _pendingVerifierReadyAt;
    }

    /// @inheritdoc ICreditRegistry
    function cancelVerifierProposal() external onlyRole(DEFAULT_ADMIN_ROLE) {
        address proposed = _pendingVerifier;
        if (proposed == address(0)) revert CreditRegistry__NoPendingVerifier();
        delete _pendingVerifier;
        delete _pendingVerifierReadyAt;
        emit VerifierProposalCancelled(proposed);
    }

    /// @inheritdoc ICreditRegistry
    function pendingVerifier() external view returns (address proposed, uint48 readyAt) {
        return (_pendingVerifier, _pendingVerifierReadyAt);
    }

    /// @inheritdoc ICreditRegistry
    function verifier() external view returns (address) {
        return _verifier;
    }

    /// @inheritdoc ICreditRegistry
    function identityRegistry() external view returns (address) {
        return address(_identity);
    }

    // --------------------------------------------------------- attestations

    /// @inheritdoc ICreditRegistry
    function recordAttestation(Attestation calldata att, address submitter) external {
        if (msg.sender != _verifier) revert CreditRegistry__NotVerifier(msg.sender);
        if (
            att.subject == address(0) || att.proofsHash == bytes32(0) || att.tier == 0 || att.tier > 4
                || att.limit > type(uint128).max || att.expiry <= block.timestamp
        ) revert CreditRegistry__InvalidAttestation();
        // One active attestation per pseudonym: the verifier derives the scope from the
        // requesting agent, so a nullifier stands for one person with one lender.
        bytes32 previous = _requestOfNullifier[att.nullifier];
        if (previous != bytes32(0) && isAttestationValid(previous)) {
            revert CreditRegistry__ActiveAttestation(att.nullifier, previous);
        }

        bytes32 requestHash = att.proofsHash;
        Record storage rec = _records[requestHash];
        if (rec.hasResponse) revert CreditRegistry__RequestExists(requestHash);
        if (att.agentId != 0) {
            // Either the agent asked this verifier first (validationRequest), or the
            // submitter acts for the agent; an applicant cannot name just any agent.
            bool requested = rec.validator == msg.sender && rec.agentId == att.agentId;
            if (!requested) {
                _requireAgent(att.agentId);
                if (!_actsFor(submitter, att.agentId)) {
                    revert CreditRegistry__NotAgentOperator(att.agentId, submitter);
                }
                _agentValidations[att.agentId].push(requestHash);
                _validatorRequests[msg.sender].push(requestHash);
                emit ValidationRequest(msg.sender, att.agentId, "", requestHash);
            }
        }

        rec.validator = msg.sender;
        rec.lastUpdate = uint40(block.timestamp);
        rec.response = MAX_RESPONSE;
        rec.hasResponse = true;
        rec.attested = true;
        rec.subject = att.subject;
        rec.tier = att.tier;
        rec.currency = att.currency;
        rec.expiry = att.expiry;
        rec.nullifier = att.nullifier;
        rec.limit = uint128(att.limit);
        rec.agentId = uint128(att.agentId);
        rec.policyHash = att.policyHash;
        _requestOfNullifier[att.nullifier] = requestHash;
        _latestRequestOf[att.subject] = requestHash;

        emit AttestationRecorded(
            requestHash, att.subject, att.nullifier, att.tier, att.limit, att.currency, att.expiry, att.policyHash
        );
        emit ValidationResponse(
            msg.sender, att.agentId, requestHash, MAX_RESPONSE, "", keccak256(abi.encode(att)), ATTESTATION_TAG
        );
    }

    /// @inheritdoc ICreditRegistry
    function isNullifierUsed(uint256 nullifier) external view returns (bool) {
        return _requestOfNullifier[nullifier] != bytes32(0);
    }

    /// @inheritdoc ICreditRegistry
    function activeRequestOf(uint256 nullifier) external view returns (bytes32) {
        bytes32 requestHash = _requestOfNullifier[nullifier];
        return requestHash != bytes32(0) && isAttestationValid(requestHash) ? requestHash : bytes32(0);
    }

    /// @inheritdoc ICreditRegistry
    function releaseAttestation(bytes32 requestHash, bytes32 reasonHash) external {
        Record storage rec = _records[requestHash];
        if (!rec.attested) revert CreditRegistry__UnknownRequest(requestHash);
        uint256 agentId = rec.agentId;
        if (agentId == 0 || !_actsFor(msg.sender, agentId)) revert CreditRegistry__NotAgentOperator(agentId, msg.sender);
        rec.response = 0;
        rec.lastUpdate = uint40(block.timestamp);
        rec.responseHash = reasonHash;
        rec.tag = RELEASED_TAG;
        emit AttestationReleased(requestHash, agentId, msg.sender, reasonHash);
        emit ValidationResponse(rec.validator, agentId, requestHash, 0, "", reasonHash, RELEASED_TAG);
    }

    /// @inheritdoc ICreditRegistry
    function getAttestation(bytes32 requestHash) public view returns (Attestation memory att) {
        Record storage rec = _records[requestHash];
        if (!rec.attested) revert CreditRegistry__UnknownRequest(requestHash);
        att = Attestation({
            subject: rec.subject,
            nullifier: rec.nullifier,
            tier: rec.tier,
            limit: rec.limit,
            currency: rec.currency,
            expiry: rec.expiry,
            policyHash: rec.policyHash,
            proofsHash: requestHash,
            agentId: rec.agentId
        });
    }

    /// @inheritdoc ICreditRegistry
    function isAttestationValid(bytes32 requestHash) public view returns (bool) {
        Record storage rec = _records[requestHash];
        address current = _verifier;
        if (!rec.attested || rec.response != MAX_RESPONSE || block.timestamp >= rec.expiry) return false;
        if (rec.validator != current) return false;
        try IAttestationValidator(current).isAttestationCurrent(requestHash, rec.policyHash) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }

    /// @notice True when `subject`'s most recent attestation is valid.
    function hasValidAttestation(address subject) external view returns (bool) {
        bytes32 requestHash = _latestRequestOf[subject];
        return requestHash != bytes32(0) && isAttestationValid(requestHash);
    }

    /// @inheritdoc ICreditRegistry
    function latestRequestOf(address subject) external view returns (bytes32) {
        return _latestRequestOf[subject];
    }

    /// @inheritdoc ICreditRegistry
    function requestOfNullifier(uint256 nullifier) external view returns (bytes32) {
        return _requestOfNullifier[nullifier];
    }

    // ------------------------------------------------------- ERC-8004 parts

    /// @notice Log that `agentId` asked the verifier to validate `requestHash` (the
    ///         keccak256 of an application). Only the verifier can be named.
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external {
        if (validatorAddress == address(0) || validatorAddress != _verifier) {
            revert CreditRegistry__UnsupportedValidator(validatorAddress);
        }
        _requireAgent(agentId);
        if (!_identity.isAuthorizedOrOwner(msg.sender, agentId)) {
            revert CreditRegistry__NotAgentOperator(agentId, msg.sender);
        }
        if (requestHash == bytes32(0) || _records[requestHash].validator != address(0)) {
            revert CreditRegistry__RequestExists(requestHash);
        }
        Record storage rec = _records[requestHash];
        rec.validator = validatorAddress;
        rec.lastUpdate = uint40(block.timestamp);
        rec.agentId = uint128(agentId);
        _agentValidations[agentId].push(requestHash);
        _validatorRequests[validatorAddress].push(requestHash);
        emit ValidationRequest(validatorAddress, agentId, requestURI, requestHash);
    }

    /// @notice Answer or re-answer a request. Only the request's validator may call;
    ///         for attestations this is how the verifier withdraws one (response 0).
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external {
        if (response > MAX_RESPONSE) revert CreditRegistry__InvalidResponse(response);
        Record storage rec = _records[requestHash];
        if (rec.validator == address(0)) revert CreditRegistry__UnknownRequest(requestHash);
        if (msg.sender != rec.validator) revert CreditRegistry__NotValidator(requestHash, msg.sender);
        rec.response = response;
        rec.hasResponse = true;
        rec.lastUpdate = uint40(block.timestamp);
        rec.responseHash = responseHash;
        rec.tag = tag;
        emit ValidationResponse(msg.sender, rec.agentId, requestHash, response, responseURI, responseHash, tag);
    }

    /// @notice For an attestation that was never re-answered, `responseHash` is the
    ///         keccak256 of the ABI-encoded attestation and `tag` is `ATTESTATION_TAG`.
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
        )
    {
        Record storage rec = _records[requestHash];
        if (rec.validator == address(0)) revert CreditRegistry__UnknownRequest(requestHash);
        (responseHash, tag) = _responseOf(requestHash, rec);
        return (rec.validator, rec.agentId, rec.response, responseHash, tag, rec.lastUpdate);
    }

    /// @inheritdoc IValidationRegistry
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 averageResponse)
    {
        bytes32[] storage hashes = _agentValidations[agentId];
        bytes32 tagHash = keccak256(bytes(tag));
        uint256 total;
        for (uint256 i = 0; i < hashes.length; ++i) {
            Record storage rec = _records[hashes[i]];
            // A request can be superseded by an attestation naming another agent.
            if (!rec.hasResponse || rec.agentId != agentId) continue;
            if (!_listed(rec.validator, validatorAddresses)) continue;
            if (bytes(tag).length != 0) {
                (, string memory recTag) = _responseOf(hashes[i], rec);
                if (keccak256(bytes(recTag)) != tagHash) continue;
            }
            total += rec.response;
            ++count;
        }
        averageResponse = count == 0 ? 0 : uint8(total / count);
    }

    /// @inheritdoc IValidationRegistry
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory) {
        return _agentValidations[agentId];
    }

    /// @inheritdoc IValidationRegistry
    /// @dev Attestations that name no agent (agentId 0) are not requests and are not
    ///      listed; find them through `AttestationRecorded`.
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory) {
        return _validatorRequests[validatorAddress];
    }

    /// @notice The identity registry of requesting agents (ERC-8004 name).
    function getIdentityRegistry() external view returns (address) {
        return address(_identity);
    }

    // --------------------------------------------------------------- internal

    function _responseOf(bytes32 requestHash, Record storage rec)
        private
        view
        returns (bytes32 responseHash, string memory tag)
    {
        if (rec.attested && rec.responseHash == bytes32(0) && bytes(rec.tag).length == 0) {
            return (keccak256(abi.encode(getAttestation(requestHash))), ATTESTATION_TAG);
        }
        return (rec.responseHash, rec.tag);
    }

    /// @dev A contract that names this registry as the one it records attestations in.
    function _requireWired(address candidate) private view {
        if (candidate == address(0)) revert CreditRegistry__ZeroAddress();
        if (candidate.code.length == 0) revert CreditRegistry__NotAContract(candidate);
        try IAttestationValidator(candidate).creditRegistry() returns (address registry) {
            if (registry == address(this)) return;
        } catch {}
        revert CreditRegistry__VerifierNotWired(candidate);
    }

    function _requireAgent(uint256 agentId) private view {
        try _identity.ownerOf(agentId) returns (address) {}
        catch {
            revert CreditRegistry__UnknownAgent(agentId);
        }
    }

    /// @dev The agent's owner or an ERC-721 operator of it (ERC-8004), or the agent's own
    ///      verified payment wallet: the key an agent service runs with, which relays
    ///      its borrowers' applications (`verifyAndAttestFor`).
    function _actsFor(address account, uint256 agentId) private view returns (bool) {
        return _identity.isAuthorizedOrOwner(account, agentId) || account == _identity.getAgentWallet(agentId);
    }

    function _listed(address validator, address[] calldata validators) private pure returns (bool) {
        if (validators.length == 0) return true;
        for (uint256 i = 0; i < validators.length; ++i) {
            if (validators[i] == validator) return true;
        }
        return false;
    }
}
