pragma circom 2.1.0;

// credit_history + signed issuedAt/expiresAt day indices, today <= expiresAt and
// today - issuedAt <= maxAgeDays (ADR 0015, the short-lived alternative).
// Credential fields: [2, subject, score, historyMonths, defaults, latePayments24m,
//                     debtRatioBps, issuedAt, expiresAt]
include "lib/credit_history_body.circom";
include "lib/revocation.circom";

template CreditHistoryExpiring() {
    signal input identitySecret;
    signal input score;
    signal input historyMonths;
    signal input defaults;
    signal input latePayments;
    signal input debtRatioBps;
    signal input issuedAt;
    signal input expiresAt;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input minScore;
    signal input maxLate;
    signal input maxDebtRatioBps;
    signal input minHistoryMonths;
    signal input issuerAx;
    signal input issuerAy;
    signal input today;
    signal input maxAgeDays;
    signal input scope;
    signal input wallet;
    signal output nullifier;
    signal output tier;

    component body = CreditHistoryBody(2);
    body.identitySecret <== identitySecret;
    body.score <== score;
    body.historyMonths <== historyMonths;
    body.defaults <== defaults;
    body.latePayments <== latePayments;
    body.debtRatioBps <== debtRatioBps;
    body.extra[0] <== issuedAt;
    body.extra[1] <== expiresAt;
    body.sigR8x <== sigR8x;
    body.sigR8y <== sigR8y;
    body.sigS <== sigS;
    body.minScore <== minScore;
    body.maxLate <== maxLate;
    body.maxDebtRatioBps <== maxDebtRatioBps;
    body.minHistoryMonths <== minHistoryMonths;
    body.issuerAx <== issuerAx;
    body.issuerAy <== issuerAy;
    body.scope <== scope;
    body.wallet <== wallet;
    nullifier <== body.nullifier;
    tier <== body.tier;

    component fresh = FreshAndNotExpired();
    fresh.today <== today;
    fresh.issuedAt <== issuedAt;
    fresh.expiresAt <== expiresAt;
    fresh.maxAgeDays <== maxAgeDays;
}

component main {public [minScore, maxLate, maxDebtRatioBps, minHistoryMonths, issuerAx, issuerAy, today, maxAgeDays, scope, wallet]} = CreditHistoryExpiring();
