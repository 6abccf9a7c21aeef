pragma circom 2.1.0;

// Experiment (issue 7 §6), variant B: the combined loan circuit of
// loan_combined.circom with the fewest public inputs. The 16 policy constants
// (thresholds, currencies, per-type maxAgeDays) and the 8 issuer key coordinates
// become private inputs, bound by ONE public input
//     policyDigest = Poseidon(Poseidon(policy constants[16]), Poseidon(issuer keys[8]))
// computed in-circuit, which the verifier contract compares with the digest it
// stored when the policy (and the issuer set it trusts) was registered. What
// changes per application or with registry state stays public: today and its
// two encodings, scope, wallet, nonce, loanAmount, kycRoot, denyListHash.
//
// Generated from lib/loan_combined.circom (the wiring is mechanical); input names
// are those of loan_combined.circom, plus policyDigest.
//
// Public signals: 0 nullifier, 1 tier, 2 lock, 3 level, then
//   4 today
//   5 scope
//   6 wallet
//   7 nonce
//   8 inc_currentMonth
//   9 col_loanAmount
//   10 id_kycRoot
//   11 id_todayYmd
//   12 id_denyListHash
//   13 policyDigest
// 14 in all.

include "lib/loan_combined.circom";

template LoanCombinedDigest(nMonths, depth, nDenied) {
    signal input identitySecret;
    signal input inc_income[nMonths];
    signal input inc_periodEndMonth;
    signal input inc_employmentStartMonth;
    signal input inc_issuedAt;
    signal input inc_expiresAt;
    signal input inc_sigR8x;
    signal input inc_sigR8y;
    signal input inc_sigS;
    signal input ch_score;
    signal input ch_historyMonths;
    signal input ch_defaults;
    signal input ch_latePayments;
    signal input ch_debtRatioBps;
    signal input ch_issuedAt;
    signal input ch_expiresAt;
    signal input ch_sigR8x;
    signal input ch_sigR8y;
    signal input ch_sigS;
    signal input col_assetValue;
    signal input col_assetType;
    signal input col_lienFlag;
    signal input col_valuationDay;
    signal input col_assetId;
    signal input col_issuedAt;
    signal input col_expiresAt;
    signal input col_sigR8x;
    signal input col_sigR8y;
    signal input col_sigS;
    signal input id_birthDate;
    signal input id_jurisdiction;
    signal input id_kycLevel;
    signal input id_pathElements[depth];
    signal input id_pathIndices[depth];
    signal input id_deniedJurisdictions[nDenied];
    signal input id_issuedAt;
    signal input id_expiresAt;
    signal input id_sigR8x;
    signal input id_sigR8y;
    signal input id_sigS;
    signal input today;
    signal input scope;
    signal input wallet;
    signal input nonce;
    signal input inc_minMonthlyIncome;
    signal input inc_minEmploymentMonths;
    signal input inc_currency;
    signal input inc_currentMonth;
    signal input inc_maxLagMonths;
    signal input ch_minScore;
    signal input ch_maxLate;
    signal input ch_maxDebtRatioBps;
    signal input ch_minHistoryMonths;
    signal input col_loanAmount;
    signal input col_currency;
    signal input col_minCollateralRatioBps;
    signal input col_maxValuationAgeDays;
    signal input id_kycRoot;
    signal input id_todayYmd;
    signal input id_minAgeYears;
    signal input id_denyListHash;
    signal input inc_maxAgeDays;
    signal input ch_maxAgeDays;
    signal input col_maxAgeDays;
    signal input id_maxAgeDays;
    signal input inc_issuerAx;
    signal input inc_issuerAy;
    signal input ch_issuerAx;
    signal input ch_issuerAy;
    signal input col_issuerAx;
    signal input col_issuerAy;
    signal input id_issuerAx;
    signal input id_issuerAy;
    signal input policyDigest;
    signal output nullifier;
    signal output tier;
    signal output lock;
    signal output level;

    component loan = LoanCombined(nMonths, depth, nDenied);
    loan.identitySecret <== identitySecret;
    for (var i = 0; i < nMonths; i++) {
        loan.inc_income[i] <== inc_income[i];
    }
    loan.inc_periodEndMonth <== inc_periodEndMonth;
    loan.inc_employmentStartMonth <== inc_employmentStartMonth;
    loan.inc_issuedAt <== inc_issuedAt;
    loan.inc_expiresAt <== inc_expiresAt;
    loan.inc_sigR8x <== inc_sigR8x;
    loan.inc_sigR8y <== inc_sigR8y;
    loan.inc_sigS <== inc_sigS;
    loan.ch_score <== ch_score;
    loan.ch_historyMonths <== ch_historyMonths;
    loan.ch_defaults <== ch_defaults;
    loan.ch_latePayments <== ch_latePayments;
    loan.ch_debtRatioBps <== ch_debtRatioBps;
    loan.ch_issuedAt <== ch_issuedAt;
    loan.ch_expiresAt <== ch_expiresAt;
    loan.ch_sigR8x <== ch_sigR8x;
    loan.ch_sigR8y <== ch_sigR8y;
    loan.ch_sigS <== ch_sigS;
    loan.col_assetValue <== col_assetValue;
    loan.col_assetType <== col_assetType;
    loan.col_lienFlag <== col_lienFlag;
    loan.col_valuationDay <== col_valuationDay;
    loan.col_assetId <== col_assetId;
    loan.col_issuedAt <== col_issuedAt;
    loan.col_expiresAt <== col_expiresAt;
    loan.col_sigR8x <== col_sigR8x;
    loan.col_sigR8y <== col_sigR8y;
    loan.col_sigS <== col_sigS;
    loan.id_birthDate <== id_birthDate;
    loan.id_jurisdiction <== id_jurisdiction;
    loan.id_kycLevel <== id_kycLevel;
    for (var i = 0; i < depth; i++) {
        loan.id_pathElements[i] <== id_pathElements[i];
    }
    for (var i = 0; i < depth; i++) {
        loan.id_pathIndices[i] <== id_pathIndices[i];
    }
    for (var i = 0; i < nDenied; i++) {
        loan.id_deniedJurisdictions[i] <== id_deniedJurisdictions[i];
    }
    loan.id_issuedAt <== id_issuedAt;
    loan.id_expiresAt <== id_expiresAt;
    loan.id_sigR8x <== id_sigR8x;
    loan.id_sigR8y <== id_sigR8y;
    loan.id_sigS <== id_sigS;
    loan.today <== today;
    loan.scope <== scope;
    loan.wallet <== wallet;
    loan.nonce <== nonce;
    loan.inc_minMonthlyIncome <== inc_minMonthlyIncome;
    loan.inc_minEmploymentMonths <== inc_minEmploymentMonths;
    loan.inc_currency <== inc_currency;
    loan.inc_currentMonth <== inc_currentMonth;
    loan.inc_maxLagMonths <== inc_maxLagMonths;
    loan.ch_minScore <== ch_minScore;
    loan.ch_maxLate <== ch_maxLate;
    loan.ch_maxDebtRatioBps <== ch_maxDebtRatioBps;
    loan.ch_minHistoryMonths <== ch_minHistoryMonths;
    loan.col_loanAmount <== col_loanAmount;
    loan.col_currency <== col_currency;
    loan.col_minCollateralRatioBps <== col_minCollateralRatioBps;
    loan.col_maxValuationAgeDays <== col_maxValuationAgeDays;
    loan.id_kycRoot <== id_kycRoot;
    loan.id_todayYmd <== id_todayYmd;
    loan.id_minAgeYears <== id_minAgeYears;
    loan.id_denyListHash <== id_denyListHash;
    loan.inc_maxAgeDays <== inc_maxAgeDays;
    loan.ch_maxAgeDays <== ch_maxAgeDays;
    loan.col_maxAgeDays <== col_maxAgeDays;
    loan.id_maxAgeDays <== id_maxAgeDays;
    loan.inc_issuerAx <== inc_issuerAx;
    loan.inc_issuerAy <== inc_issuerAy;
    loan.ch_issuerAx <== ch_issuerAx;
    loan.ch_issuerAy <== ch_issuerAy;
    loan.col_issuerAx <== col_issuerAx;
    loan.col_issuerAy <== col_issuerAy;
    loan.id_issuerAx <== id_issuerAx;
    loan.id_issuerAy <== id_issuerAy;
    nullifier <== loan.nullifier;
    tier <== loan.tier;
    lock <== loan.lock;
    level <== loan.level;

    component policyHash = Poseidon(16);
    policyHash.inputs[0] <== inc_minMonthlyIncome;
    policyHash.inputs[1] <== inc_minEmploymentMonths;
    policyHash.inputs[2] <== inc_currency;
    policyHash.inputs[3] <== inc_maxLagMonths;
    policyHash.inputs[4] <== ch_minScore;
    policyHash.inputs[5] <== ch_maxLate;
    policyHash.inputs[6] <== ch_maxDebtRatioBps;
    policyHash.inputs[7] <== ch_minHistoryMonths;
    policyHash.inputs[8] <== col_currency;
    policyHash.inputs[9] <== col_minCollateralRatioBps;
    policyHash.inputs[10] <== col_maxValuationAgeDays;
    policyHash.inputs[11] <== id_minAgeYears;
    policyHash.inputs[12] <== inc_maxAgeDays;
    policyHash.inputs[13] <== ch_maxAgeDays;
    policyHash.inputs[14] <== col_maxAgeDays;
    policyHash.inputs[15] <== id_maxAgeDays;
    component issuerHash = Poseidon(8);
    issuerHash.inputs[0] <== inc_issuerAx;
    issuerHash.inputs[1] <== inc_issuerAy;
    issuerHash.inputs[2] <== ch_issuerAx;
    issuerHash.inputs[3] <== ch_issuerAy;
    issuerHash.inputs[4] <== col_issuerAx;
    issuerHash.inputs[5] <== col_issuerAy;
    issuerHash.inputs[6] <== id_issuerAx;
    issuerHash.inputs[7] <== id_issuerAy;
    component digest = Poseidon(2);
    digest.inputs[0] <== policyHash.out;
    digest.inputs[1] <== issuerHash.out;
    digest.out === policyDigest;
}

component main {public [today, scope, wallet, nonce, inc_currentMonth, col_loanAmount, id_kycRoot, id_todayYmd, id_denyListHash, policyDigest]} = LoanCombinedDigest(6, 20, 8);
