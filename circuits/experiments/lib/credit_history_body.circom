pragma circom 2.1.0;

// The body of circuits/src/credit_history.circom (2.1.0 sources), as a template that
// takes extra signed fields, so the experiments below measure exactly the product
// circuit plus one revocation mechanism. Keep in step with the product circuit
// when re-measuring.

include "../../src/lib/safe_comparators.circom";
include "../../src/lib/credential.circom";
include "../../src/lib/holder.circom";

template ScoreTierX() {
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

// nExtra extra credential fields are appended to the signed list (revocation nonce,
// or issuedAt/expiresAt); the caller constrains them.
template CreditHistoryBody(nExtra) {
    signal input identitySecret;
    signal input score;
    signal input historyMonths;
    signal input defaults;
    signal input latePayments;
    signal input debtRatioBps;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input extra[nExtra];
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

    component cred = SignedCredential(7 + nExtra);
    cred.fields[0] <== 2;
    cred.fields[1] <== holder.subject;
    cred.fields[2] <== score;
    cred.fields[3] <== historyMonths;
    cred.fields[4] <== defaults;
    cred.fields[5] <== latePayments;
    cred.fields[6] <== debtRatioBps;
    for (var i = 0; i < nExtra; i++) {
        cred.fields[7 + i] <== extra[i];
    }
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

    component band = ScoreTierX();
    band.score <== score;
    tier <== band.tier;
}
