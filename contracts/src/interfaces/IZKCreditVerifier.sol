// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title ZKredit on-chain credit verifier
/// @notice Verifies the four Groth16 proofs of a loan application (income, credit
///         history, collateral, identity) against a registered lender policy and the
///         KYC registry, consumes the shared nullifier, and records a credit
///         attestation in the credit registry.
/// @dev Circuit ids equal the credential type tags: 1 income, 2 credit_history,
///      3 collateral, 4 identity (kyc). Public signals are in snarkjs order, outputs
///      first:
///      income (9):          [nullifier, minMonthlyIncome, minEmploymentMonths, currency,
///                            currentMonth, issuerAx, issuerAy, scope, wallet]
///      credit_history (10): [nullifier, tier, minScore, maxLate, maxDebtRatioBps,
///                            minHistoryMonths, issuerAx, issuerAy, scope, wallet]
///      collateral (10):     [nullifier, loanAmount, currency, minCollateralRatioBps, today,
///                            maxValuationAgeDays, issuerAx, issuerAy, scope, wallet]
///      identity (10):       [nullifier, level, kycRoot, todayYmd, minAgeYears,
///                            denyListHash, issuerAx, issuerAy, scope, wallet]
interface IZKCreditVerifier {
    /// @notice A lender policy. Amounts are minor units of `currency` (ISO 4217
    ///         numeric); ratios are basis points. Field widths equal the range checks
    ///         in the circuits, so every registrable policy is provable.
    /// @param tierMultipliers Limit = min(loanAmount, minMonthlyIncome * multiplier)
    ///        for tiers 1-4 (ZKredit default 8, 6, 4, 2). Tier 5 is never approved.
    struct Policy {
        uint16 currency;
        uint64 minMonthlyIncome;
        uint16 minEmploymentMonths;
        uint16 minScore;
        uint32 maxLate;
        uint32 maxDebtRatioBps;
        uint32 minHistoryMonths;
        uint16 minCollateralRatioBps;
        uint16 maxValuationAgeDays;
        uint8 minAgeYears;
        uint8 minKycLevel;
        uint64 maxKycRootAgeSeconds;
        uint64 attestationValiditySeconds;
        uint8[4] tierMultipliers;
    }

    /// @notice A Groth16 proof in snarkjs calldata layout (G2 coordinates as (c1, c0)).
    struct Groth16Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice One loan application: the policy it claims to satisfy, the requesting
    ///         lender agent (0 = none) and the four proofs with their public signals.
    struct Application {
        bytes32 policyHash;
        uint256 agentId;
        Groth16Proof incomeProof;
        uint256[9] incomeSignals;
        Groth16Proof creditHistoryProof;
        uint256[10] creditHistorySignals;
        Groth16Proof collateralProof;
        uint256[10] collateralSignals;
        Groth16Proof identityProof;
        uint256[10] identitySignals;
    }

    /// @notice A policy became usable under `policyHash`.
    event PolicyRegistered(bytes32 indexed policyHash, Policy policy, address indexed registeredBy);
    /// @notice A policy can no longer be used for new applications.
    event PolicyRetired(bytes32 indexed policyHash, address indexed retiredBy);
    /// @notice An application verified and its attestation was recorded.
    event ApplicationVerified(
        bytes32 indexed requestHash,
        address indexed wallet,
        bytes32 indexed policyHash,
        uint256 nullifier,
        uint8 tier,
        uint256 limit,
        address submitter
    );
    /// @notice A single proof was checked through `checkProof`.
    event ProofChecked(uint8 indexed circuit, address indexed caller, bytes32 signalsHash, bool valid);
    /// @notice A policy admin withdrew an attestation (validation response 0).
    event AttestationWithdrawn(bytes32 indexed requestHash, address indexed withdrawnBy, string responseURI);
    /// @notice Every attestation recorded under `policyHash` up to `before` is invalid.
    event PolicyAttestationsInvalidated(bytes32 indexed policyHash, uint40 before, address indexed invalidatedBy);

    /// @notice The borrower's pseudonym with this lender already has the active
    ///         attestation `requestHash` (until it expires, is released or withdrawn).
    error ZKCredit__ActiveAttestation(bytes32 requestHash);
    /// @notice The proofs' scope is not `loanScope(app.agentId)`.
    error ZKCredit__ScopeNotDerived(uint256 scope, uint256 expected);
    /// @notice The proof for `circuit` did not verify.
    error ZKCredit__InvalidProof(uint8 circuit);
    /// @notice Public signal `signalIndex` of `circuit` differs from the policy.
    error ZKCredit__PolicyMismatch(uint8 circuit, uint8 signalIndex);
    /// @notice The issuer key of credential type `credType` is not trusted.
    error ZKCredit__UntrustedIssuer(uint8 credType);
    /// @notice The KYC root is not a known, unrevoked root.
    error ZKCredit__UnknownRoot();
    /// @notice The KYC root is older than the policy allows.
    error ZKCredit__StaleRoot();
    /// @notice The proofs are bound to another wallet than the submitter / signer.
    error ZKCredit__WalletMismatch();
    /// @notice The four proofs do not share one nullifier.
    error ZKCredit__NullifierMismatch();
    /// @notice The four proofs do not share one scope.
    error ZKCredit__ScopeMismatch();
    /// @notice The date inputs are not today or yesterday (UTC), or disagree.
    error ZKCredit__StaleDate();
    /// @notice No active policy under this hash.
    error ZKCredit__UnknownPolicy(bytes32 policyHash);
    /// @notice The policy is already registered.
    error ZKCredit__PolicyExists(bytes32 policyHash);
    /// @notice The policy has a zero currency, validity, root age, KYC level or multiplier.
    error ZKCredit__InvalidPolicy();
    /// @notice The proven tier is not approvable (only tiers 1-4 are).
    error ZKCredit__TierNotApprovable(uint256 tier);
    /// @notice The requested loan amount is zero.
    error ZKCredit__InvalidLoanAmount();
    /// @notice The submitter authorisation is past its deadline.
    error ZKCredit__SignatureExpired(uint256 deadline);
    /// @notice The wallet did not sign the submitter authorisation.
    error ZKCredit__InvalidSignature();
    /// @notice Circuit ids are 1-4.
    error ZKCredit__UnknownCircuit(uint8 circuit);
    /// @notice Wrong number of public signals for `circuit`.
    error ZKCredit__SignalCount(uint8 circuit, uint256 count);
    /// @notice A constructor address has no code.
    error ZKCredit__NotAContract(address account);

    /// @notice Verify an application submitted by the wallet its proofs are bound to.
    /// @return requestHash keccak256 of the ABI-encoded application; the key of the attestation.
    /// @notice The scope the proofs of an application requested by `agentId` carry
    ///         (0 = no agent): derived from the lender, never chosen by the prover.
    function loanScope(uint256 agentId) external view returns (uint256);

    function verifyAndAttest(Application calldata app) external returns (bytes32 requestHash);

    /// @notice Verify an application relayed by `msg.sender` with the wallet's EIP-712
    ///         `AttestationSubmission(submitter, requestHash, deadline)` signature.
    function verifyAndAttestFor(Application calldata app, uint256 deadline, bytes calldata signature)
        external
        returns (bytes32 requestHash);

    /// @notice Verify one proof. Returns false for an invalid or malformed proof.
    function verifyProof(uint8 circuit, Groth16Proof calldata proof, uint256[] calldata signals)
        external
        view
        returns (bool);
}
