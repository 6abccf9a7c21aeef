pragma circom 2.1.0;

// Credit history: "my bureau score is at least minScore, I have no defaults,
// at most maxLate late payments in 24 months, a debt ratio of at most
// maxDebtRatioBps and at least minHistoryMonths of history", over a credential
// signed by a credit bureau. The only thing revealed about the score is its
// band (tier 1-5), output as a public signal.
//
// Credential fields:
//   [2, subject, score, historyMonths, defaults, latePayments24m, debtRatioBps]

include "lib/safe_comparators.circom";
include "lib/credential.circom";
include "lib/holder.circom";

// tier = 5 - [s>=580] - [s>=670] - [s>=740] - [s>=800]
template ScoreTier() {
    signal input score;
    signal output tier;
    var bounds[4] = [580, 670, 740, 800];
    component ge[4];
    var sum = 0;
    for (var i = 0; i < 4; i++) {
        ge[i] = SafeLessEq(16);
        ge[i].a <== bounds[i];
        ge[i].b <== score;
        sum += ge[i].out;
    }
    tier <== 5 - sum;
}

template CreditHistory() {
    // private
    signal input identitySecret;
    signal input score;
    signal input historyMonths;
    signal input defaults;
    signal input latePayments;
    signal input debtRatioBps;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    // public
    signal input minScore;
    signal input maxLate;
    signal input maxDebtRatioBps;
    signal input minHistoryMonths;
    signal input issuerAx;
    signal input issuerAy;
    signal input scope;
    signal input wallet;
    signal output nullifier;
    signal output tier;

    component holder = Holder();
    holder.identitySecret <== identitySecret;
    holder.scope <== scope;
    holder.wallet <== wallet;
    nullifier <== holder.nullifier;

    component cred = SignedCredential(7);
    cred.fields[0] <== 2;
    cred.fields[1] <== holder.subject;
    cred.fields[2] <== score;
    cred.fields[3] <== historyMonths;
    cred.fields[4] <== defaults;
    cred.fields[5] <== latePayments;
    cred.fields[6] <== debtRatioBps;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component scoreOk = AssertGreaterEq(16);
    scoreOk.a <== score;
    scoreOk.b <== minScore;

    defaults === 0;

    component lateOk = AssertLessEq(32);
    lateOk.a <== latePayments;
    lateOk.b <== maxLate;

    component debtOk = AssertLessEq(32);
    debtOk.a <== debtRatioBps;
    debtOk.b <== maxDebtRatioBps;

    component historyOk = AssertGreaterEq(32);
    historyOk.a <== historyMonths;
    historyOk.b <== minHistoryMonths;

    component band = ScoreTier();
    band.score <== score;
    tier <== band.tier;
}

component main {public [minScore, maxLate, maxDebtRatioBps, minHistoryMonths, issuerAx, issuerAy, scope, wallet]} = CreditHistory();
