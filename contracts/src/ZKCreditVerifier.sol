// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IApplicationBatchVerifier} from "./interfaces/IApplicationBatchVerifier.sol";
import {ICreditRegistry} from "./interfaces/ICreditRegistry.sol";
import {IGroth16Verifier9, IGroth16Verifier10} from "./interfaces/IGroth16Verifier.sol";
import {IKYCRegistry} from "./interfaces/IKYCRegistry.sol";
import {IZKCreditVerifier} from "./interfaces/IZKCreditVerifier.sol";
import {CivilDate} from "./libraries/CivilDate.sol";

/// @title ZKredit credit verifier
/// @notice Turns four Groth16 proofs into one on-chain credit attestation. An
///         application is accepted only when
///         1. it names an active policy, and every threshold signal equals it;
///         2. the four proofs share one nullifier, one wallet and the scope derived
///            from the requesting lender agent (`loanScope`), the wallet is the sender
///            (or signed an EIP-712 authorisation for it), and the nullifier (the
///            borrower's pseudonym with that lender) has no active attestation;
///         3. the dates are today or yesterday (UTC) in all three encodings;
///         4. each issuer key is trusted for its credential type, the KYC root is
///            known and younger than the policy's maximum age, and the deny-list hash
///            is the registry's current one;
///         5. all four proofs verify.
///         The tier comes from the credit_history proof; the limit is
///         min(loanAmount, minMonthlyIncome * multiplier(tier)).
/// @dev The generated verifiers revert (via `invalid()`, burning the gas given to
///      them) when a precompile call fails, and return false when the pairing check
///      fails. This contract treats "returned false" and "reverted" the same way:
///      the application reverts with `ZKCredit__InvalidProof(circuit)`. Nothing is
///      written unless every check passed. All checks that need no pairing run
///      first, so a malformed application fails cheaply.
contract ZKCreditVerifier is AccessControlDefaultAdminRules, Pausable, EIP712, IZKCreditVerifier {
    bytes32 public constant POLICY_ADMIN_ROLE = keccak256("POLICY_ADMIN_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice EIP-712 type the wallet signs to let `submitter` relay its application.
    bytes32 public constant SUBMISSION_TYPEHASH =
        keccak256("AttestationSubmission(address submitter,bytes32 requestHash,uint256 deadline)");

    /// @notice Domain of `loanScope`: the scope of a loan application is derived from
    ///         the lender, never chosen by the prover.
    bytes32 public constant LOAN_SCOPE_DOMAIN = keccak256("zkredit.scope.loan.v1");

    uint8 public constant CIRCUIT_INCOME = 1;
    uint8 public constant CIRCUIT_CREDIT_HISTORY = 2;
    uint8 public constant CIRCUIT_COLLATERAL = 3;
    uint8 public constant CIRCUIT_IDENTITY = 4;

    // Signal positions (snarkjs order: outputs, then public inputs).
    uint256 private constant S_NULLIFIER = 0;
    uint256 private constant INC_MIN_INCOME = 1;
    uint256 private constant INC_MIN_EMPLOYMENT = 2;
    uint256 private constant INC_CURRENCY = 3;
    uint256 private constant INC_CURRENT_MONTH = 4;
    uint256 private constant INC_ISSUER = 5; // Ax; Ay at +1
    uint256 private constant INC_SCOPE = 7;
    uint256 private constant INC_WALLET = 8;
    uint256 private constant CH_TIER = 1;
    uint256 private constant CH_MIN_SCORE = 2;
    uint256 private constant CH_MAX_LATE = 3;
    uint256 private constant CH_MAX_DEBT_RATIO = 4;
    uint256 private constant CH_MIN_HISTORY = 5;
    uint256 private constant COL_LOAN_AMOUNT = 1;
    uint256 private constant COL_CURRENCY = 2;
    uint256 private constant COL_MIN_RATIO = 3;
    uint256 private constant COL_TODAY = 4;
    uint256 private constant COL_MAX_VALUATION_AGE = 5;
    uint256 private constant ID_LEVEL = 1;
    uint256 private constant ID_ROOT = 2;
    uint256 private constant ID_TODAY_YMD = 3;
    uint256 private constant ID_MIN_AGE = 4;
    uint256 private constant ID_DENY_LIST = 5;
    // In the three 10-signal circuits the issuer key, scope and wallet sit at 6-9.
    uint256 private constant S10_ISSUER = 6;
    uint256 private constant S10_SCOPE = 8;
    uint256 private constant S10_WALLET = 9;

    IKYCRegistry public immutable kycRegistry;
    ICreditRegistry public immutable creditRegistry;
    /// @notice The ERC-8004 identity registry whose agent ids scopes are derived from.
    address public immutable agentRegistry;
    IGroth16Verifier9 public immutable incomeVerifier;
    IGroth16Verifier10 public immutable creditHistoryVerifier;
    IGroth16Verifier10 public immutable collateralVerifier;
    IGroth16Verifier10 public immutable identityVerifier;
    /// @notice Optional batched verifier of all four proofs (zero = verify one by one).
    IApplicationBatchVerifier public immutable batchVerifier;

    /// @dev What an attestation relied on, for the invalidation epochs: the KYC
    ///      registry's ordinals of its four issuer keys and its root, and when it was
    ///      recorded. One storage slot.
    struct TrustRef {
        uint32 income;
        uint32 creditHistory;
        uint32 collateral;
        uint32 kyc;
        uint32 root;
        uint40 attestedAt;
    }

    mapping(bytes32 policyHash => Policy) private _policies;
    mapping(bytes32 policyHash => uint40 invalidatedAt) private _policyInvalidatedAt;
    mapping(bytes32 requestHash => TrustRef) private _trustRefs;

    /// @param initialDelay Delay (seconds) before a new default admin can accept.
    /// @param admin Initial default admin; grants POLICY_ADMIN_ROLE and PAUSER_ROLE.
    /// @param verifiers Generated verifiers in circuit order: income, credit_history,
    ///        collateral, identity. Fixed for the life of this contract: new keys mean
    ///        a new ZKCreditVerifier (see docs/decisions/0003-contract-upgrade-policy.md).
    /// @param batch A ZKCreditBatchGroth16 generated from the same keys, or zero to
    ///        verify applications with the four verifiers one by one.
    constructor(
        uint48 initialDelay,
        address admin,
        IKYCRegistry kyc,
        ICreditRegistry credit,
        address[4] memory verifiers,
        IApplicationBatchVerifier batch
    ) AccessControlDefaultAdminRules(initialDelay, admin) EIP712("ZKCreditVerifier", "1") {
        _requireContract(address(kyc));
        _requireContract(address(credit));
        for (uint256 i = 0; i < 4; ++i) {
            _requireContract(verifiers[i]);
        }
        if (address(batch) != address(0)) _requireContract(address(batch));
        batchVerifier = batch;
        kycRegistry = kyc;
        creditRegistry = credit;
        agentRegistry = credit.identityRegistry();
        incomeVerifier = IGroth16Verifier9(verifiers[0]);
        creditHistoryVerifier = IGroth16Verifier10(verifiers[1]);
        collateralVerifier = IGroth16Verifier10(verifiers[2]);
        identityVerifier = IGroth16Verifier10(verifiers[3]);
    }

    // ------------------------------------------------------------- applications

    /// @notice The scope every proof of an application requested by `agentId` must carry:
    ///         keccak256(LOAN_SCOPE_DOMAIN, chain id, identity registry, agentId) >> 8, a
    ///         field element. Its nullifier is then one stable pseudonym per person per
    ///         lender, unlinkable across lenders (docs/decisions/0012-pseudonyms.md).
    function loanScope(uint256 agentId) public view returns (uint256) {
        return uint256(keccak256(abi.encode(LOAN_SCOPE_DOMAIN, block.chainid, agentRegistry, agentId))) >> 8;
    }

    /// @inheritdoc IZKCreditVerifier
    function verifyAndAttest(Application calldata app) external whenNotPaused returns (bytes32 requestHash) {
        requestHash = keccak256(abi.encode(app));
        _attest(app, requestHash, msg.sender);
    }

    /// @inheritdoc IZKCreditVerifier
    function verifyAndAttestFor(Application calldata app, uint256 deadline, bytes calldata signature)
        external
        whenNotPaused
        returns (bytes32 requestHash)
    {
        if (block.timestamp > deadline) revert ZKCredit__SignatureExpired(deadline);
        uint256 boundWallet = app.incomeSignals[INC_WALLET];
        if (boundWallet > type(uint160).max) revert ZKCredit__WalletMismatch();
        address wallet = address(uint160(boundWallet));
        requestHash = keccak256(abi.encode(app));
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(SUBMISSION_TYPEHASH, msg.sender, requestHash, deadline)));
        if (!SignatureChecker.isValidSignatureNow(wallet, digest, signature)) revert ZKCredit__InvalidSignature();
        _attest(app, requestHash, wallet);
    }

    /// @inheritdoc IZKCreditVerifier
    function verifyProof(uint8 circuit, Groth16Proof calldata proof, uint256[] calldata signals)
        public
        view
        returns (bool)
    {
        if (circuit < CIRCUIT_INCOME || circuit > CIRCUIT_IDENTITY) revert ZKCredit__UnknownCircuit(circuit);
        uint256 expected = circuit == CIRCUIT_INCOME ? 9 : 10;
        if (signals.length != expected) revert ZKCredit__SignalCount(circuit, signals.length);
        if (circuit == CIRCUIT_INCOME) {
            uint256[9] memory s9;
            for (uint256 i = 0; i < 9; ++i) {
                s9[i] = signals[i];
            }
            return _verify9(proof, s9);
        }
        uint256[10] memory s10;
        for (uint256 i = 0; i < 10; ++i) {
            s10[i] = signals[i];
        }
        IGroth16Verifier10 v = circuit == CIRCUIT_CREDIT_HISTORY
            ? creditHistoryVerifier
            : circuit == CIRCUIT_COLLATERAL ? collateralVerifier : identityVerifier;
        return _verify10(v, proof, s10);
    }

    /// @notice `verifyProof` as a transaction that logs its result (for monitoring
    ///         and gas measurement); changes no state besides the event.
    function checkProof(uint8 circuit, Groth16Proof calldata proof, uint256[] calldata signals)
        external
        returns (bool valid)
    {
        valid = verifyProof(circuit, proof, signals);
        emit ProofChecked(circuit, msg.sender, keccak256(abi.encodePacked(signals)), valid);
    }

    /// @notice The date inputs a proof generated at `timestamp` must use: the day
    ///         number (collateral `today`), the month index (income `currentMonth`) and
    ///         YYYYMMDD (identity `todayYmd`). Provers should take them from here.
    function dateInputs(uint256 timestamp)
        external
        pure
        returns (uint256 today, uint256 currentMonth, uint256 todayYmd)
    {
        today = timestamp / CivilDate.SECONDS_PER_DAY;
        (currentMonth, todayYmd) = CivilDate.encodings(today);
    }

    // ------------------------------------------------------------------ policy

    /// @notice Register a lender policy; applications then name it by `policyHash`.
    function registerPolicy(Policy calldata policy)
        external
        onlyRole(POLICY_ADMIN_ROLE)
        returns (bytes32 policyHash)
    {
        if (
            policy.currency == 0 || policy.attestationValiditySeconds == 0 || policy.maxKycRootAgeSeconds == 0
                || policy.minKycLevel == 0
        ) revert ZKCredit__InvalidPolicy();
        for (uint256 i = 0; i < 4; ++i) {
            if (policy.tierMultipliers[i] == 0) revert ZKCredit__InvalidPolicy();
        }
        policyHash = policyHashOf(policy);
        if (_policies[policyHash].attestationValiditySeconds != 0) revert ZKCredit__PolicyExists(policyHash);
        _policies[policyHash] = policy;
        emit PolicyRegistered(policyHash, policy, msg.sender);
    }

    /// @notice Stop accepting applications under `policyHash`. Attestations already
    ///         recorded under it stay valid until they expire.
    function retirePolicy(bytes32 policyHash) external onlyRole(POLICY_ADMIN_ROLE) {
        _requirePolicy(policyHash);
        delete _policies[policyHash];
        emit PolicyRetired(policyHash, msg.sender);
    }

    /// @notice The active policy under `policyHash`; reverts if there is none.
    function getPolicy(bytes32 policyHash) external view returns (Policy memory) {
        return _requirePolicy(policyHash);
    }

    /// @notice True when `policyHash` names an active policy.
    function isPolicyActive(bytes32 policyHash) external view returns (bool) {
        return _policies[policyHash].attestationValiditySeconds != 0;
    }

    /// @notice keccak256(abi.encode(policy)), the name of a policy.
    function policyHashOf(Policy calldata policy) public pure returns (bytes32) {
        return keccak256(abi.encode(policy));
    }

    /// @notice Invalidate every attestation recorded under `policyHash` until now (e.g.
    ///         the policy turned out to be wrong). Later attestations are unaffected;
    ///         retire the policy too to stop new ones.
    function invalidatePolicyAttestations(bytes32 policyHash) external onlyRole(POLICY_ADMIN_ROLE) {
        if (policyHash == bytes32(0)) revert ZKCredit__UnknownPolicy(policyHash);
        uint40 now_ = uint40(block.timestamp);
        _policyInvalidatedAt[policyHash] = now_;
        emit PolicyAttestationsInvalidated(policyHash, now_, msg.sender);
    }

    /// @notice Attestations under `policyHash` recorded at or before this time are invalid.
    function policyAttestationsInvalidatedAt(bytes32 policyHash) external view returns (uint64) {
        return _policyInvalidatedAt[policyHash];
    }

    /// @notice False when an invalidation epoch covers the attestation under
    ///         `requestHash`: of its policy (here) or of one of its issuer keys or its
    ///         KYC root (in the KYC registry); or when this verifier never recorded it.
    ///         The credit registry consults it in `isAttestationValid`.
    function isAttestationCurrent(bytes32 requestHash, bytes32 policyHash) external view returns (bool) {
        TrustRef memory ref = _trustRefs[requestHash];
        if (ref.attestedAt == 0 || _policyInvalidatedAt[policyHash] >= ref.attestedAt) return false;
        uint64 invalidatedAt =
            kycRegistry.trustInvalidatedAt([ref.income, ref.creditHistory, ref.collateral, ref.kyc, ref.root]);
        return invalidatedAt < ref.attestedAt;
    }

    /// @notice Withdraw an attestation (e.g. an issuer key turned out to be
    ///         compromised): its validation response becomes 0 and it stops being valid.
    function withdrawAttestation(bytes32 requestHash, string calldata responseURI, bytes32 reasonHash)
        external
        onlyRole(POLICY_ADMIN_ROLE)
    {
        creditRegistry.validationResponse(requestHash, 0, responseURI, reasonHash, "withdrawn");
        emit AttestationWithdrawn(requestHash, msg.sender, responseURI);
    }

    // ------------------------------------------------------------------- pause

    /// @notice Stop accepting applications.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Accept applications again.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Domain separator of the EIP-712 submitter authorisations.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internal

    function _attest(Application calldata app, bytes32 requestHash, address wallet) private {
        Policy memory policy = _requirePolicy(app.policyHash);
        uint256 nullifier = _checkBindings(app, wallet);
        _checkPolicy(app, policy);
        _checkDates(app);
        uint32[5] memory trust = _checkTrust(app, policy);
        _checkProofs(app);
        _trustRefs[requestHash] = TrustRef({
            income: trust[0],
            creditHistory: trust[1],
            collateral: trust[2],
            kyc: trust[3],
            root: trust[4],
            attestedAt: uint40(block.timestamp)
        });

        uint256 tier = app.creditHistorySignals[CH_TIER];
        uint256 cap = uint256(app.incomeSignals[INC_MIN_INCOME]) * policy.tierMultipliers[tier - 1];
        uint256 loanAmount = app.collateralSignals[COL_LOAN_AMOUNT];
        uint256 limit = loanAmount < cap ? loanAmount : cap;

        creditRegistry.recordAttestation(
            ICreditRegistry.Attestation({
                subject: wallet,
                nullifier: nullifier,
                tier: uint8(tier),
                limit: limit,
                currency: policy.currency,
                expiry: uint64(block.timestamp) + policy.attestationValiditySeconds,
                policyHash: app.policyHash,
                proofsHash: requestHash,
                agentId: app.agentId
            }),
            msg.sender
        );
        emit ApplicationVerified(requestHash, wallet, app.policyHash, nullifier, uint8(tier), limit, msg.sender);
    }

    /// @dev One holder, the lender's scope, one wallet, no active attestation.
    function _checkBindings(Application calldata app, address wallet) private view returns (uint256 nullifier) {
        nullifier = app.incomeSignals[S_NULLIFIER];
        if (
            app.creditHistorySignals[S_NULLIFIER] != nullifier || app.collateralSignals[S_NULLIFIER] != nullifier
                || app.identitySignals[S_NULLIFIER] != nullifier
        ) revert ZKCredit__NullifierMismatch();

        uint256 scope = app.incomeSignals[INC_SCOPE];
        if (
            app.creditHistorySignals[S10_SCOPE] != scope || app.collateralSignals[S10_SCOPE] != scope
                || app.identitySignals[S10_SCOPE] != scope
        ) revert ZKCredit__ScopeMismatch();
        uint256 derived = loanScope(app.agentId);
        if (scope != derived) revert ZKCredit__ScopeNotDerived(scope, derived);

        uint256 bound = uint256(uint160(wallet));
        if (
            app.incomeSignals[INC_WALLET] != bound || app.creditHistorySignals[S10_WALLET] != bound
                || app.collateralSignals[S10_WALLET] != bound || app.identitySignals[S10_WALLET] != bound
        ) revert ZKCredit__WalletMismatch();

        bytes32 active = creditRegistry.activeRequestOf(nullifier);
        if (active != bytes32(0)) revert ZKCredit__ActiveAttestation(active);
    }

    /// @dev Every threshold signal equals the policy; the outputs are approvable.
    function _checkPolicy(Application calldata app, Policy memory policy) private view {
        uint256[9] calldata inc = app.incomeSignals;
        _expect(inc[INC_MIN_INCOME], policy.minMonthlyIncome, CIRCUIT_INCOME, INC_MIN_INCOME);
        _expect(inc[INC_MIN_EMPLOYMENT], policy.minEmploymentMonths, CIRCUIT_INCOME, INC_MIN_EMPLOYMENT);
        _expect(inc[INC_CURRENCY], policy.currency, CIRCUIT_INCOME, INC_CURRENCY);

        uint256[10] calldata ch = app.creditHistorySignals;
        _expect(ch[CH_MIN_SCORE], policy.minScore, CIRCUIT_CREDIT_HISTORY, CH_MIN_SCORE);
        _expect(ch[CH_MAX_LATE], policy.maxLate, CIRCUIT_CREDIT_HISTORY, CH_MAX_LATE);
        _expect(ch[CH_MAX_DEBT_RATIO], policy.maxDebtRatioBps, CIRCUIT_CREDIT_HISTORY, CH_MAX_DEBT_RATIO);
        _expect(ch[CH_MIN_HISTORY], policy.minHistoryMonths, CIRCUIT_CREDIT_HISTORY, CH_MIN_HISTORY);
        uint256 tier = ch[CH_TIER];
        if (tier == 0 || tier > 4) revert ZKCredit__TierNotApprovable(tier);

        uint256[10] calldata col = app.collateralSignals;
        _expect(col[COL_CURRENCY], policy.currency, CIRCUIT_COLLATERAL, COL_CURRENCY);
        _expect(col[COL_MIN_RATIO], policy.minCollateralRatioBps, CIRCUIT_COLLATERAL, COL_MIN_RATIO);
        _expect(col[COL_MAX_VALUATION_AGE], policy.maxValuationAgeDays, CIRCUIT_COLLATERAL, COL_MAX_VALUATION_AGE);
        if (col[COL_LOAN_AMOUNT] == 0) revert ZKCredit__InvalidLoanAmount();

        uint256[10] calldata id = app.identitySignals;
        _expect(id[ID_MIN_AGE], policy.minAgeYears, CIRCUIT_IDENTITY, ID_MIN_AGE);
        _expect(id[ID_DENY_LIST], kycRegistry.denyListHash(), CIRCUIT_IDENTITY, ID_DENY_LIST);
        if (id[ID_LEVEL] < policy.minKycLevel) revert ZKCredit__PolicyMismatch(CIRCUIT_IDENTITY, uint8(ID_LEVEL));
    }

    /// @dev `today` is the UTC day of this block or the one before (a proof made just
    ///      before midnight stays usable), and the month index and YYYYMMDD encode
    ///      that same day.
    function _checkDates(Application calldata app) private view {
        uint256 today = app.collateralSignals[COL_TODAY];
        uint256 blockDay = block.timestamp / CivilDate.SECONDS_PER_DAY;
        if (today != blockDay && today != blockDay - 1) revert ZKCredit__StaleDate();
        (uint256 monthIndex, uint256 ymd) = CivilDate.encodings(today);
        if (app.incomeSignals[INC_CURRENT_MONTH] != monthIndex || app.identitySignals[ID_TODAY_YMD] != ymd) {
            revert ZKCredit__StaleDate();
        }
    }

    /// @dev Issuer keys trusted per credential type; KYC root known and fresh. One call
    ///      to the KYC registry, which also names the keys and the root by ordinal.
    function _checkTrust(Application calldata app, Policy memory policy)
        private
        view
        returns (uint32[5] memory ordinals)
    {
        uint256[8] memory keys = [
            app.incomeSignals[INC_ISSUER],
            app.incomeSignals[INC_ISSUER + 1],
            app.creditHistorySignals[S10_ISSUER],
            app.creditHistorySignals[S10_ISSUER + 1],
            app.collateralSignals[S10_ISSUER],
            app.collateralSignals[S10_ISSUER + 1],
            app.identitySignals[S10_ISSUER],
            app.identitySignals[S10_ISSUER + 1]
        ];
        uint64 publishedAt;
        (ordinals, publishedAt) = kycRegistry.checkTrust(keys, app.identitySignals[ID_ROOT]);
        for (uint8 i = 0; i < 4; ++i) {
            if (ordinals[i] == 0) revert ZKCredit__UntrustedIssuer(i + 1);
        }
        if (ordinals[4] == 0) revert ZKCredit__UnknownRoot();
        if (block.timestamp - publishedAt > policy.maxKycRootAgeSeconds) revert ZKCredit__StaleRoot();
    }

    /// @dev Reverts with `ZKCredit__InvalidProof(circuit)` naming the first proof
    ///      that does not verify. With a batch verifier, one batched check decides
    ///      (it draws its coefficients from the whole application itself); only if it
    ///      fails are the proofs re-checked one by one to name the failing circuit
    ///      (the transaction reverts either way).
    function _checkProofs(Application calldata app) private view {
        IApplicationBatchVerifier batch = batchVerifier;
        if (address(batch) != address(0)) {
            try batch.verifyApplication(app) returns (bool ok) {
                if (ok) return;
            } catch {}
        }
        _checkProofsOneByOne(app);
        // Reached only when the batch rejected proofs that verify one by one.
        if (address(batch) != address(0)) revert ZKCredit__InvalidProof(0);
    }

    /// @dev Verifies the four proofs with the four generated verifier contracts.
    function _checkProofsOneByOne(Application calldata app) private view {
        if (!_verify9(app.incomeProof, app.incomeSignals)) revert ZKCredit__InvalidProof(CIRCUIT_INCOME);
        if (!_verify10(creditHistoryVerifier, app.creditHistoryProof, app.creditHistorySignals)) {
            revert ZKCredit__InvalidProof(CIRCUIT_CREDIT_HISTORY);
        }
        if (!_verify10(collateralVerifier, app.collateralProof, app.collateralSignals)) {
            revert ZKCredit__InvalidProof(CIRCUIT_COLLATERAL);
        }
        if (!_verify10(identityVerifier, app.identityProof, app.identitySignals)) {
            revert ZKCredit__InvalidProof(CIRCUIT_IDENTITY);
        }
    }

    /// @dev A verifier that reverts (malformed point, failed precompile, out of gas)
    ///      counts as "not verified"; only an explicit `true` is acceptance.
    function _verify9(Groth16Proof calldata p, uint256[9] memory signals) private view returns (bool) {
        try incomeVerifier.verifyProof(p.a, p.b, p.c, signals) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }

    function _verify10(IGroth16Verifier10 v, Groth16Proof calldata p, uint256[10] memory signals)
        private
        view
        returns (bool)
    {
        try v.verifyProof(p.a, p.b, p.c, signals) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }

    function _expect(uint256 actual, uint256 expected, uint8 circuit, uint256 index) private pure {
        if (actual != expected) revert ZKCredit__PolicyMismatch(circuit, uint8(index));
    }

    function _requirePolicy(bytes32 policyHash) private view returns (Policy memory policy) {
        policy = _policies[policyHash];
        if (policy.attestationValiditySeconds == 0) revert ZKCredit__UnknownPolicy(policyHash);
    }

    function _requireContract(address account) private view {
        if (account.code.length == 0) revert ZKCredit__NotAContract(account);
    }
}
