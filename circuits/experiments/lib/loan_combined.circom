pragma circom 2.1.0;

// LoanCombined: the four loan statements (lib/loan_statements.circom) over ONE
// holder, as a template, so each experiment main (../loan_combined*.circom) picks
// which of its inputs are public. See ../loan_combined.circom for the signal list.

include "../../src/lib/holder.circom";
include "loan_statements.circom";

template LoanCombined(nMonths, depth, nDenied) {
    // ---- private
    signal input identitySecret;
    // income
    signal input inc_income[nMonths];
    signal input inc_periodEndMonth;
    signal input inc_employmentStartMonth;
    signal input inc_issuedAt;
    signal input inc_expiresAt;
    signal input inc_sigR8x;
    signal input inc_sigR8y;
    signal input inc_sigS;
    // credit history
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
    // collateral
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
    // identity
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

    // ---- public
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

    signal output nullifier;
    signal output tier;
    signal output lock;
    signal output level;

    component holder = Holder();
    holder.identitySecret <== identitySecret;
    holder.scope <== scope;
    holder.wallet <== wallet;
    holder.nonce <== nonce;
    nullifier <== holder.nullifier;

    component inc = IncomeStatement(nMonths);
    inc.subject <== holder.subject;
    for (var i = 0; i < nMonths; i++) {
        inc.income[i] <== inc_income[i];
    }
    inc.periodEndMonth <== inc_periodEndMonth;
    inc.employmentStartMonth <== inc_employmentStartMonth;
    inc.issuedAt <== inc_issuedAt;
    inc.expiresAt <== inc_expiresAt;
    inc.sigR8x <== inc_sigR8x;
    inc.sigR8y <== inc_sigR8y;
    inc.sigS <== inc_sigS;
    inc.minMonthlyIncome <== inc_minMonthlyIncome;
    inc.minEmploymentMonths <== inc_minEmploymentMonths;
    inc.currency <== inc_currency;
    inc.currentMonth <== inc_currentMonth;
    inc.maxLagMonths <== inc_maxLagMonths;
    inc.today <== today;
    inc.maxAgeDays <== inc_maxAgeDays;
    inc.issuerAx <== inc_issuerAx;
    inc.issuerAy <== inc_issuerAy;

    component ch = CreditHistoryStatement();
    ch.subject <== holder.subject;
    ch.score <== ch_score;
    ch.historyMonths <== ch_historyMonths;
    ch.defaults <== ch_defaults;
    ch.latePayments <== ch_latePayments;
    ch.debtRatioBps <== ch_debtRatioBps;
    ch.issuedAt <== ch_issuedAt;
    ch.expiresAt <== ch_expiresAt;
    ch.sigR8x <== ch_sigR8x;
    ch.sigR8y <== ch_sigR8y;
    ch.sigS <== ch_sigS;
    ch.minScore <== ch_minScore;
    ch.maxLate <== ch_maxLate;
    ch.maxDebtRatioBps <== ch_maxDebtRatioBps;
    ch.minHistoryMonths <== ch_minHistoryMonths;
    ch.today <== today;
    ch.maxAgeDays <== ch_maxAgeDays;
    ch.issuerAx <== ch_issuerAx;
    ch.issuerAy <== ch_issuerAy;
    tier <== ch.tier;

    component col = CollateralStatement();
    col.subject <== holder.subject;
    col.assetValue <== col_assetValue;
    col.assetType <== col_assetType;
    col.lienFlag <== col_lienFlag;
    col.valuationDay <== col_valuationDay;
    col.assetId <== col_assetId;
    col.issuedAt <== col_issuedAt;
    col.expiresAt <== col_expiresAt;
    col.sigR8x <== col_sigR8x;
    col.sigR8y <== col_sigR8y;
    col.sigS <== col_sigS;
    col.loanAmount <== col_loanAmount;
    col.currency <== col_currency;
    col.minCollateralRatioBps <== col_minCollateralRatioBps;
    col.maxValuationAgeDays <== col_maxValuationAgeDays;
    col.today <== today;
    col.maxAgeDays <== col_maxAgeDays;
    col.issuerAx <== col_issuerAx;
    col.issuerAy <== col_issuerAy;
    lock <== col.lock;

    component id = IdentityStatement(depth, nDenied);
    id.subject <== holder.subject;
    id.birthDate <== id_birthDate;
    id.jurisdiction <== id_jurisdiction;
    id.kycLevel <== id_kycLevel;
    for (var i = 0; i < depth; i++) {
        id.pathElements[i] <== id_pathElements[i];
        id.pathIndices[i] <== id_pathIndices[i];
    }
    for (var i = 0; i < nDenied; i++) {
        id.deniedJurisdictions[i] <== id_deniedJurisdictions[i];
    }
    id.issuedAt <== id_issuedAt;
    id.expiresAt <== id_expiresAt;
    id.sigR8x <== id_sigR8x;
    id.sigR8y <== id_sigR8y;
    id.sigS <== id_sigS;
    id.kycRoot <== id_kycRoot;
    id.todayYmd <== id_todayYmd;
    id.minAgeYears <== id_minAgeYears;
    id.denyListHash <== id_denyListHash;
    id.today <== today;
    id.maxAgeDays <== id_maxAgeDays;
    id.issuerAx <== id_issuerAx;
    id.issuerAy <== id_issuerAy;
    level <== id.level;
}
