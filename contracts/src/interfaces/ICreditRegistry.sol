// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IValidationRegistry} from "./IValidationRegistry.sol";

/// @title ZKredit credit attestation registry
/// @notice Credit attestations written by the ZKCreditVerifier after four Groth16
///         proofs verified, exposed with ERC-8004 validation semantics (the verifier
///         is the validator, `requestHash` is the keccak256 of the application).
interface ICreditRegistry is IValidationRegistry {
    /// @notice What the verifier attests about a borrower, without revealing them.
    /// @param subject Borrower wallet bound into every proof.
    /// @param nullifier Poseidon(identitySecret, scope), shared by the four proofs.
    /// @param tier Credit tier 1 (best) to 4 proven by the credit_history proof.
    /// @param limit Approved limit in minor units of `currency`.
    /// @param currency ISO 4217 numeric currency code.
    /// @param expiry Unix time after which the attestation is no longer valid.
    /// @param policyHash keccak256 of the verifier policy the proofs satisfied.
    /// @param proofsHash keccak256 of the application (policy, proofs, public signals).
    /// @param agentId Requesting agent in the identity registry (0 = none).
    struct Attestation {
        address subject;
        uint256 nullifier;
        uint8 tier;
        uint256 limit;
        uint16 currency;
        uint64 expiry;
        bytes32 policyHash;
        bytes32 proofsHash;
        uint256 agentId;
    }

    /// @notice The verifier recorded an attestation under `requestHash`.
    event AttestationRecorded(
        bytes32 indexed requestHash,
        address indexed subject,
        uint256 indexed nullifier,
        uint8 tier,
        uint256 limit,
        uint16 currency,
        uint64 expiry,
        bytes32 policyHash
    );
    /// @notice The contract allowed to record attestations changed (and the previous
    ///         one's attestations stopped being valid).
    /// @notice The lender agent closed an attestation (repaid or cancelled).
    event AttestationReleased(
        bytes32 indexed requestHash, uint256 indexed agentId, address releasedBy, bytes32 reasonHash
    );
    event VerifierUpdated(address indexed previousVerifier, address indexed newVerifier);
    /// @notice The admin proposed `proposed` as the next verifier, acceptable from `readyAt`.
    event VerifierProposed(address indexed proposed, uint48 readyAt);
    /// @notice The admin withdrew the proposal of `proposed`.
    event VerifierProposalCancelled(address indexed proposed);

    /// @notice Only the configured verifier may record attestations.
    error CreditRegistry__NotVerifier(address caller);
    /// @notice The pseudonym `nullifier` already has the active attestation `requestHash`.
    error CreditRegistry__ActiveAttestation(uint256 nullifier, bytes32 requestHash);
    /// @notice A request with this hash already has an answer or an attestation.
    error CreditRegistry__RequestExists(bytes32 requestHash);
    /// @notice No request with this hash.
    error CreditRegistry__UnknownRequest(bytes32 requestHash);
    /// @notice Requests can only name the configured verifier as validator.
    error CreditRegistry__UnsupportedValidator(address validatorAddress);
    /// @notice Only the request's validator may answer it.
    error CreditRegistry__NotValidator(bytes32 requestHash, address caller);
    /// @notice Responses are 0-100.
    error CreditRegistry__InvalidResponse(uint8 response);
    /// @notice The caller does not operate `agentId`.
    error CreditRegistry__NotAgentOperator(uint256 agentId, address caller);
    /// @notice `agentId` does not exist in the identity registry.
    error CreditRegistry__UnknownAgent(uint256 agentId);
    /// @notice The attestation is malformed (zero subject or hash, tier outside 1-4,
    ///         limit above 2^128, or already expired).
    error CreditRegistry__InvalidAttestation();
    /// @notice The zero address is not allowed here.
    error CreditRegistry__ZeroAddress();
    /// @notice A verifier must be a contract.
    error CreditRegistry__NotAContract(address account);
    /// @notice The proposed verifier does not name this registry as its credit registry.
    error CreditRegistry__VerifierNotWired(address verifier);
    /// @notice The proposed contract is already the verifier.
    error CreditRegistry__AlreadyVerifier(address verifier);
    /// @notice No verifier has been proposed.
    error CreditRegistry__NoPendingVerifier();
    /// @notice The proposed verifier can be accepted from `readyAt` on.
    error CreditRegistry__VerifierNotReady(uint48 readyAt);

    /// @notice Record an attestation; only the verifier. Its `requestHash` is
    ///         `att.proofsHash`; `submitter` sent the application to the verifier. An
    ///         attestation with `att.agentId` ≠ 0 needs the agent's consent: a pending
    ///         `validationRequest` of that agent for this hash and verifier, or a
    ///         `submitter` that is the agent's owner, operator or verified wallet
    ///         (else `CreditRegistry__NotAgentOperator`). Without a prior request the
    ///         registry logs one (`ValidationRequest` with an empty URI).
    function recordAttestation(Attestation calldata att, address submitter) external;

    /// @notice The contract currently allowed to record attestations, and the only
    ///         validator whose attestations are valid.
    function verifier() external view returns (address);

    /// @notice Step 1 of a repoint (default admin): propose `newVerifier`, a contract
    ///         whose `creditRegistry()` is this registry. It can be accepted after
    ///         `verifierDelay` seconds (at once while no verifier was ever set). A new
    ///         proposal replaces a pending one.
    function proposeVerifier(address newVerifier) external;

    /// @notice Step 2 (default admin): make the pending verifier current. From then on
    ///         only it records attestations, and the previous verifier's attestations
    ///         are no longer valid. Its consumed nullifiers stay consumed.
    function acceptVerifier() external;

    /// @notice Withdraw the pending proposal (default admin).
    function cancelVerifierProposal() external;

    /// @notice The pending proposal (zero address if none) and when it can be accepted.
    function pendingVerifier() external view returns (address proposed, uint48 readyAt);

    /// @notice True when `nullifier` was ever recorded in an attestation.
    function isNullifierUsed(uint256 nullifier) external view returns (bool);

    /// @notice Request hash of the attestation under `nullifier` that is still valid
    ///         (0 if none). The verifier derives the scope from the requesting agent,
    ///         so a nullifier is one person's pseudonym with one lender, and the registry
    ///         refuses a second attestation while this one is active.
    function activeRequestOf(uint256 nullifier) external view returns (bytes32);

    /// @notice The lender agent (its owner, an operator or its verified wallet) closes
    ///         an attestation it requested: the loan was repaid or cancelled. The
    ///         attestation is no longer valid and its pseudonym may be attested again.
    function releaseAttestation(bytes32 requestHash, bytes32 reasonHash) external;

    /// @notice The ERC-8004 identity registry whose agent ids attestations name.
    function identityRegistry() external view returns (address);

    /// @notice The attestation recorded under `requestHash`.
    function getAttestation(bytes32 requestHash) external view returns (Attestation memory);

    /// @notice True when an attestation exists under `requestHash`, has not been
    ///         withdrawn by its validator (response still 100), has not expired, its
    ///         validator is still the registry's verifier, and that verifier says no
    ///         invalidation epoch (policy, issuer key, KYC root) covers it.
    function isAttestationValid(bytes32 requestHash) external view returns (bool);

    /// @notice Request hash of `subject`'s most recent attestation (0 if none).
    function latestRequestOf(address subject) external view returns (bytes32);

    /// @notice Request hash of the attestation that consumed `nullifier` (0 if none).
    function requestOfNullifier(uint256 nullifier) external view returns (bytes32);
}
