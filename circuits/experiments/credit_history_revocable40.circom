pragma circom 2.1.0;

// credit_history + SMT exclusion of a signed revocation nonce at depth 40 (ADR 0015).
// Credential fields: [2, subject, score, historyMonths, defaults, latePayments24m,
//                     debtRatioBps, revNonce]
include "lib/credit_history_body.circom";
include "lib/revocation.circom";

template CreditHistoryRevocable(nLevels) {
    signal input identitySecret;
    signal input score;
    signal input historyMonths;
    signal input defaults;
    signal input latePayments;
    signal input debtRatioBps;
    signal input revNonce;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input siblings[nLevels];
    signal input oldKey;
    signal input oldValue;
    signal input isOld0;
    signal input minScore;
    signal input maxLate;
    signal input maxDebtRatioBps;
    signal input minHistoryMonths;
    signal input issuerAx;
    signal input issuerAy;
    signal input revRoot;
    signal input scope;
    signal input wallet;
    signal output nullifier;
    signal output tier;

    component body = CreditHistoryBody(1);
    body.identitySecret <== identitySecret;
    body.score <== score;
    body.historyMonths <== historyMonths;
    body.defaults <== defaults;
    body.latePayments <== latePayments;
    body.debtRatioBps <== debtRatioBps;
    body.extra[0] <== revNonce;
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

    component rev = NonRevoked(nLevels);
    rev.revNonce <== revNonce;
    rev.revRoot <== revRoot;
    for (var i = 0; i < nLevels; i++) {
        rev.siblings[i] <== siblings[i];
    }
    rev.oldKey <== oldKey;
    rev.oldValue <== oldValue;
    rev.isOld0 <== isOld0;
}

component main {public [minScore, maxLate, maxDebtRatioBps, minHistoryMonths, issuerAx, issuerAy, revRoot, scope, wallet]} = CreditHistoryRevocable(40);
