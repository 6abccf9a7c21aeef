pragma circom 2.1.0;

// Experiment (issue 7 §6): ONE Groth16 proof for a whole loan application.
//
// The four product statements (income, credit history, collateral, identity;
// circuits/src, circuits v2) in one circuit over ONE holder: one identitySecret,
// so one subject = Poseidon(identitySecret) that every credential must be issued
// to, one nullifier = Poseidon(identitySecret, scope), one wallet and one nonce
// binding, and one `today` for all four freshness checks. Variant A: every
// per-type policy input (thresholds, maxAgeDays, issuer key) stays public, as in
// the four separate circuits, so the verifier contract checks them the same way.
//
// Public signals (snarkjs order: outputs, then public inputs in declaration order):
//   0 nullifier, 1 tier, 2 lock, 3 level,
//   4 today, 5 scope, 6 wallet, 7 nonce,
//   8-12  income:   minMonthlyIncome, minEmploymentMonths, currency, currentMonth, maxLagMonths
//   13-16 credit:   minScore, maxLate, maxDebtRatioBps, minHistoryMonths
//   17-20 collat.:  loanAmount, currency, minCollateralRatioBps, maxValuationAgeDays
//   21-24 identity: kycRoot, todayYmd, minAgeYears, denyListHash
//   25-28 maxAgeDays: income, credit, collateral, identity
//   29-36 issuer keys (Ax, Ay): income, credit, collateral, identity
// 37 in all.

include "lib/loan_combined.circom";

component main {public [
    today, scope, wallet, nonce,
    inc_minMonthlyIncome, inc_minEmploymentMonths, inc_currency, inc_currentMonth, inc_maxLagMonths,
    ch_minScore, ch_maxLate, ch_maxDebtRatioBps, ch_minHistoryMonths,
    col_loanAmount, col_currency, col_minCollateralRatioBps, col_maxValuationAgeDays,
    id_kycRoot, id_todayYmd, id_minAgeYears, id_denyListHash,
    inc_maxAgeDays, ch_maxAgeDays, col_maxAgeDays, id_maxAgeDays,
    inc_issuerAx, inc_issuerAy, ch_issuerAx, ch_issuerAy,
    col_issuerAx, col_issuerAy, id_issuerAx, id_issuerAy
]} = LoanCombined(6, 20, 8);
