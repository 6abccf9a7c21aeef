// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

// Experiment (issue 7 §6; docs/wip/combined-loan-circuit.md): what a whole loan
// application costs on chain when ONE combined Groth16 proof replaces the four.
// Not a product contract and not deployed anywhere.
//
// CombinedLoanBase does, in one contract, the storage reads and writes that
// ZKCreditVerifier._attest and ERC8004CreditRegistry.recordAttestation do for a
// first application of a pseudonym with a lender agent:
//   reads : the policy (4 slots), the nonce, the nullifier's active request, the
//           collateral lock, the request record, the agent's operator, 4 issuer
//           records + 1 root record (the KYC registry's checkTrust), denyListHash;
//   writes: usedNonces, collateralLocks, trustRefs (1 slot), the attestation record
//           (5 slots), requestOfNullifier, latestRequestOf, agentValidations.push and
//           validatorRequests.push (2 new slots each);
//   events: ValidationRequest, AttestationRecorded, ValidationResponse,
//           ApplicationVerified (the same topics and data sizes).
// The product splits this over three contracts (verifier, credit registry, KYC
// registry); the external calls that split costs (a cold account access, 2,600 gas,
// per callee plus ABI encoding) are not modelled and are estimated separately.
//
// CombinedLoanApplication37 takes loan_combined.circom (variant A, 37 signals):
// every threshold, age bound and issuer key is a public signal checked here.
// CombinedLoanApplication14 takes loan_combined_digest.circom (variant B, 14
// signals): the thresholds, age bounds and issuer keys are bound by one public
// policyDigest, compared with the digest registered with the policy; the issuer
// ordinals are registered with it.

import {IZKCreditVerifier} from "../src/interfaces/IZKCreditVerifier.sol";
import {CivilDate} from "../src/libraries/CivilDate.sol";

interface ICombinedVerifier37 {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[37] calldata signals
    ) external view returns (bool);
}

interface ICombinedVerifier14 {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[14] calldata signals
    ) external view returns (bool);
}

abstract contract CombinedLoanBase {
    error Combined__Unknown(uint256 what);
    error Combined__Mismatch(uint256 signal);
    error Combined__Used();
    error Combined__InvalidProof();

    event ValidationRequest(address indexed validator, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash);
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
    event ValidationResponse(
        address indexed validator,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        bytes32 tag
    );
    event ApplicationVerified(
        bytes32 indexed requestHash,
        address indexed wallet,
        bytes32 indexed policyHash,
        uint256 nullifier,
        uint8 tier,
        uint256 limit,
        address submitter
    );

    struct Groth16Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    struct IssuerRecord {
        bool active;
        uint32 ordinal;
        uint64 invalidatedAt;
    }

    struct RootRecord {
        uint32 ordinal;
        uint64 publishedAt;
        uint64 invalidatedAt;
    }

    struct TrustRef {
        uint32 income;
        uint32 creditHistory;
        uint32 collateral;
        uint32 kyc;
        uint32 root;
        uint40 attestedAt;
    }

    struct Record {
        address validator;
        uint40 lastUpdate;
        uint8 response;
        bool hasResponse;
        bool attested;
        address subject;
        uint8 tier;
        uint16 currency;
        uint64 expiry;
        uint256 nullifier;
        uint128 limit;
        uint128 agentId;
        bytes32 policyHash;
    }

    bytes32 internal constant LOAN_SCOPE_DOMAIN = keccak256("zkredit.scope.loan.v1");
    bytes32 internal constant ATTESTATION_TAG = "zkredit.attestation.v1";
    uint8 internal constant MAX_RESPONSE = 100;
    uint256 internal constant NONCE_LIMIT = 1 << 64;

    address internal immutable verifier;
    address internal immutable agentRegistry;

    // verifier state
    mapping(bytes32 => IZKCreditVerifier.Policy) internal policies;
    mapping(uint256 => mapping(uint256 => bool)) internal usedNonces;
    mapping(uint256 => bytes32) internal collateralLocks;
    mapping(bytes32 => TrustRef) internal trustRefs;
    // KYC registry state
    mapping(bytes32 => IssuerRecord) internal issuers;
    mapping(uint256 => RootRecord) internal roots;
    uint256 public denyListHash;
    // credit registry state
    mapping(bytes32 => Record) internal records;
    mapping(uint256 => bytes32) internal requestOfNullifier;
    mapping(address => bytes32) internal latestRequestOf;
    mapping(uint256 => bytes32[]) internal agentValidations;
    mapping(address => bytes32[]) internal validatorRequests;
    mapping(uint256 => mapping(address => bool)) internal agentOperators;

    constructor(address verifier_) {
        verifier = verifier_;
        agentRegistry = address(this);
    }

    // ---------------------------------------------------------------- set-up (untimed)

    function setPolicy(bytes32 policyHash, IZKCreditVerifier.Policy calldata policy) public virtual {
        policies[policyHash] = policy;
    }

    function setIssuer(uint8 credType, uint256 ax, uint256 ay, uint32 ordinal) external {
        issuers[keccak256(abi.encode(credType, ax, ay))] = IssuerRecord(true, ordinal, 0);
    }

    function setRoot(uint256 root, uint32 ordinal) external {
        roots[root] = RootRecord(ordinal, uint64(block.timestamp), 0);
    }

    function setDenyListHash(uint256 h) external {
        denyListHash = h;
    }

    function setOperator(uint256 agentId, address operator) external {
        agentOperators[agentId][operator] = true;
    }

    function loanScope(uint256 agentId) public view returns (uint256) {
        return uint256(keccak256(abi.encode(LOAN_SCOPE_DOMAIN, block.chainid, agentRegistry, agentId))) >> 8;
    }

    // ---------------------------------------------------------------- shared steps

    function _policy(bytes32 policyHash) internal view returns (IZKCreditVerifier.Policy memory p) {
        p = policies[policyHash];
        if (p.attestationValiditySeconds == 0) revert Combined__Unknown(0);
    }

    function _bindings(uint256 agentId, uint256 scope, uint256 wallet, uint256 nonce, uint256 nullifier, uint256 lock)
        internal
        view
    {
        if (scope != loanScope(agentId)) revert Combined__Mismatch(5);
        if (wallet != uint256(uint160(msg.sender))) revert Combined__Mismatch(6);
        if (nonce == 0 || nonce >= NONCE_LIMIT) revert Combined__Mismatch(7);
        if (usedNonces[agentId][nonce]) revert Combined__Used();
        if (requestOfNullifier[nullifier] != bytes32(0)) revert Combined__Used();
        if (collateralLocks[lock] != bytes32(0)) revert Combined__Used();
    }

    function _dates(uint256 today, uint256 currentMonth, uint256 todayYmd) internal view {
        uint256 blockDay = block.timestamp / CivilDate.SECONDS_PER_DAY;
        if (today != blockDay && today != blockDay - 1) revert Combined__Mismatch(4);
        (uint256 monthIndex, uint256 ymd) = CivilDate.encodings(today);
        if (currentMonth != monthIndex || todayYmd != ymd) revert Combined__Mismatch(4);
    }

    function _issuerOrdinal(uint8 credType, uint256 ax, uint256 ay) internal view returns (uint32) {
        IssuerRecord storage r = issuers[keccak256(abi.encode(credType, ax, ay))];
        if (!r.active) revert Combined__Unknown(credType);
        return r.ordinal;
    }

    function _root(uint256 root, IZKCreditVerifier.Policy memory p) internal view returns (uint32) {
        RootRecord storage r = roots[root];
        if (r.ordinal == 0) revert Combined__Unknown(5);
        if (block.timestamp - r.publishedAt > p.maxKycRootAgeSeconds) revert Combined__Unknown(6);
        return r.ordinal;
    }

    function _record(
        bytes32 requestHash,
        bytes32 policyHash,
        uint256 agentId,
        uint256 nullifier,
        uint256 nonce,
        uint256 lock,
        uint256 tier,
        uint256 minMonthlyIncome,
        uint256 loanAmount,
        uint32[5] memory trust,
        IZKCreditVerifier.Policy memory p
    ) internal {
        if (tier == 0 || tier > 4) revert Combined__Mismatch(1);
        usedNonces[agentId][nonce] = true;
        collateralLocks[lock] = requestHash;
        trustRefs[requestHash] = TrustRef(trust[0], trust[1], trust[2], trust[3], trust[4], uint40(block.timestamp));

        uint256 cap = minMonthlyIncome * p.tierMultipliers[tier - 1];
        uint256 limit = loanAmount < cap ? loanAmount : cap;
        uint64 expiry = uint64(block.timestamp) + p.attestationValiditySeconds;

        // the credit registry's recordAttestation
        Record storage rec = records[requestHash];
        if (rec.hasResponse) revert Combined__Used();
        if (agentId != 0) {
            if (!agentOperators[agentId][msg.sender]) revert Combined__Unknown(7);
            agentValidations[agentId].push(requestHash);
            validatorRequests[address(this)].push(requestHash);
            emit ValidationRequest(address(this), agentId, "", requestHash);
        }
        rec.validator = address(this);
        rec.lastUpdate = uint40(block.timestamp);
        rec.response = MAX_RESPONSE;
        rec.hasResponse = true;
        rec.attested = true;
        rec.subject = msg.sender;
        rec.tier = uint8(tier);
        rec.currency = p.currency;
        rec.expiry = expiry;
        rec.nullifier = nullifier;
        rec.limit = uint128(limit);
        rec.agentId = uint128(agentId);
        rec.policyHash = policyHash;
        requestOfNullifier[nullifier] = requestHash;
        latestRequestOf[msg.sender] = requestHash;
        emit AttestationRecorded(requestHash, msg.sender, nullifier, uint8(tier), limit, p.currency, expiry, policyHash);
        emit ValidationResponse(
            address(this),
            agentId,
            requestHash,
            MAX_RESPONSE,
            "",
            keccak256(abi.encode(requestHash, msg.sender, nullifier, tier, limit, expiry)),
            ATTESTATION_TAG
        );
        emit ApplicationVerified(requestHash, msg.sender, policyHash, nullifier, uint8(tier), limit, msg.sender);
    }

    function attestationOf(bytes32 requestHash) external view returns (Record memory) {
        return records[requestHash];
    }
}

/// @notice Variant A: loan_combined.circom, 37 public signals.
contract CombinedLoanApplication37 is CombinedLoanBase {
    struct Application {
        bytes32 policyHash;
        uint256 agentId;
        Groth16Proof proof;
        uint256[37] signals;
    }

    constructor(address verifier_) CombinedLoanBase(verifier_) {}

    function verifyProofTx(Groth16Proof calldata proof, uint256[37] calldata signals) external returns (bool ok) {
        ok = ICombinedVerifier37(verifier).verifyProof(proof.a, proof.b, proof.c, signals);
        if (!ok) revert Combined__InvalidProof();
    }

    function verifyAndAttest(Application calldata app) external returns (bytes32 requestHash) {
        requestHash = keccak256(abi.encode(app));
        uint256[37] calldata s = app.signals;
        IZKCreditVerifier.Policy memory p = _policy(app.policyHash);
        _bindings(app.agentId, s[5], s[6], s[7], s[0], s[2]);
        // the policy's thresholds
        _expect(s[8], p.minMonthlyIncome, 8);
        _expect(s[9], p.minEmploymentMonths, 9);
        _expect(s[10], p.currency, 10);
        _expect(s[12], p.maxIncomeLagMonths, 12);
        _expect(s[13], p.minScore, 13);
        _expect(s[14], p.maxLate, 14);
        _expect(s[15], p.maxDebtRatioBps, 15);
        _expect(s[16], p.minHistoryMonths, 16);
        if (s[17] == 0) revert Combined__Mismatch(17);
        _expect(s[18], p.currency, 18);
        _expect(s[19], p.minCollateralRatioBps, 19);
        _expect(s[20], p.maxValuationAgeDays, 20);
        _expect(s[23], p.minAgeYears, 23);
        _expect(s[24], denyListHash, 24);
        if (s[3] < p.minKycLevel) revert Combined__Mismatch(3);
        for (uint256 i = 0; i < 4; ++i) {
            _expect(s[25 + i], p.maxCredentialAgeDays[i], 25 + i);
        }
        _dates(s[4], s[11], s[22]);
        uint32[5] memory trust;
        for (uint256 i = 0; i < 4; ++i) {
            trust[i] = _issuerOrdinal(uint8(i + 1), s[29 + 2 * i], s[30 + 2 * i]);
        }
        trust[4] = _root(s[21], p);
        if (!ICombinedVerifier37(verifier).verifyProof(app.proof.a, app.proof.b, app.proof.c, s)) {
            revert Combined__InvalidProof();
        }
        _record(requestHash, app.policyHash, app.agentId, s[0], s[7], s[2], s[1], s[8], s[17], trust, p);
    }

    function _expect(uint256 actual, uint256 expected, uint256 signal) private pure {
        if (actual != expected) revert Combined__Mismatch(signal);
    }
}

/// @notice Variant B: loan_combined_digest.circom, 14 public signals.
contract CombinedLoanApplication14 is CombinedLoanBase {
    struct Application {
        bytes32 policyHash;
        uint256 agentId;
        Groth16Proof proof;
        uint256[14] signals;
    }

    /// @dev policyDigest registered with the policy (the circuit's Poseidon over its
    ///      thresholds and the four trusted issuer keys) and the issuers' ordinals.
    struct DigestRecord {
        uint256 digest;
        uint32[4] ordinals;
    }

    mapping(bytes32 => DigestRecord) internal digests;

    constructor(address verifier_) CombinedLoanBase(verifier_) {}

    function setDigest(bytes32 policyHash, uint256 digest, uint32[4] calldata ordinals) external {
        digests[policyHash] = DigestRecord(digest, ordinals);
    }

    function verifyProofTx(Groth16Proof calldata proof, uint256[14] calldata signals) external returns (bool ok) {
        ok = ICombinedVerifier14(verifier).verifyProof(proof.a, proof.b, proof.c, signals);
        if (!ok) revert Combined__InvalidProof();
    }

    function verifyAndAttest(Application calldata app) external returns (bytes32 requestHash) {
        requestHash = keccak256(abi.encode(app));
        uint256[14] calldata s = app.signals;
        IZKCreditVerifier.Policy memory p = _policy(app.policyHash);
        _bindings(app.agentId, s[5], s[6], s[7], s[0], s[2]);
        DigestRecord storage d = digests[app.policyHash];
        if (s[13] != d.digest) revert Combined__Mismatch(13);
        if (s[9] == 0) revert Combined__Mismatch(9);
        if (s[12] != denyListHash) revert Combined__Mismatch(12);
        if (s[3] < p.minKycLevel) revert Combined__Mismatch(3);
        _dates(s[4], s[8], s[11]);
        uint32[5] memory trust;
        uint32[4] memory ords = d.ordinals;
        for (uint256 i = 0; i < 4; ++i) {
            trust[i] = ords[i];
        }
        trust[4] = _root(s[10], p);
        if (!ICombinedVerifier14(verifier).verifyProof(app.proof.a, app.proof.b, app.proof.c, s)) {
            revert Combined__InvalidProof();
        }
        _record(requestHash, app.policyHash, app.agentId, s[0], s[7], s[2], s[1], p.minMonthlyIncome, s[9], trust, p);
    }
}
