pragma circom 2.1.0;

// The bodies of the four product circuits (circuits/src/*.circom, circuits v2), as
// templates that take the holder's `subject` = Poseidon(identitySecret) from the
// caller instead of computing it (and the nullifier, wallet and nonce bindings)
// themselves. A combined loan circuit (../loan_combined*.circom) computes the
// Holder once and feeds `subject` to all four, so one secret, one nullifier, one
// scope, one wallet and one nonce serve the whole application.
//
// Everything else is the product circuits' constraints line for line: the signed
// field lists, Fresh(), the thresholds and their range checks. Keep in step with
// circuits/src when re-measuring; `today` is an input of each, so the caller can
// wire one shared value into all four.

include "../../src/lib/safe_comparators.circom";
include "../../src/lib/credential.circom";
include "../../src/lib/freshness.circom";
include "../../src/lib/merkle_proof.circom";

template IncomeStatement(nMonths) {
    signal input subject;
    signal input income[nMonths];
    signal input periodEndMonth;
    signal input employmentStartMonth;
    signal input issuedAt;
    signal input expiresAt;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input minMonthlyIncome;
    signal input minEmploymentMonths;
    signal input currency;
    signal input currentMonth;
    signal input maxLagMonths;
    signal input today;
    signal input maxAgeDays;
    signal input issuerAx;
    signal input issuerAy;

    component cred = SignedCredential(7 + nMonths);
    cred.fields[0] <== 1;
    cred.fields[1] <== subject;
    cred.fields[2] <== currency;
    for (var i = 0; i < nMonths; i++) {
        cred.fields[3 + i] <== income[i];
    }
    cred.fields[3 + nMonths] <== periodEndMonth;
    cred.fields[4 + nMonths] <== employmentStartMonth;
    cred.fields[5 + nMonths] <== issuedAt;
    cred.fields[6 + nMonths] <== expiresAt;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component fresh = Fresh();
    fresh.issuedAt <== issuedAt;
    fresh.expiresAt <== expiresAt;
    fresh.today <== today;
    fresh.maxAgeDays <== maxAgeDays;

    component enough[nMonths];
    for (var i = 0; i < nMonths; i++) {
        enough[i] = AssertGreaterEq(64);
        enough[i].a <== income[i];
        enough[i].b <== minMonthlyIncome;
    }

    component lagBits = RangeCheck(8);
    lagBits.in <== maxLagMonths;
    component periodPast = AssertLessEq(32);
    periodPast.a <== periodEndMonth;
    periodPast.b <== currentMonth;
    component periodRecent = AssertLessEq(33);
    periodRecent.a <== currentMonth;
    periodRecent.b <== periodEndMonth + maxLagMonths;

    component tenure = AssertLessEq(32);
    tenure.a <== employmentStartMonth + minEmploymentMonths;
    tenure.b <== currentMonth;
    component minMonths = RangeCheck(16);
    minMonths.in <== minEmploymentMonths;
}

template LoanScoreTier() {
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

template CreditHistoryStatement() {
    signal input subject;
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
    signal input today;
    signal input maxAgeDays;
    signal input issuerAx;
    signal input issuerAy;
    signal output tier;

    component cred = SignedCredential(9);
    cred.fields[0] <== 2;
    cred.fields[1] <== subject;
    cred.fields[2] <== score;
    cred.fields[3] <== historyMonths;
    cred.fields[4] <== defaults;
    cred.fields[5] <== latePayments;
    cred.fields[6] <== debtRatioBps;
    cred.fields[7] <== issuedAt;
    cred.fields[8] <== expiresAt;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component fresh = Fresh();
    fresh.issuedAt <== issuedAt;
    fresh.expiresAt <== expiresAt;
    fresh.today <== today;
    fresh.maxAgeDays <== maxAgeDays;

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

    component band = LoanScoreTier();
    band.score <== score;
    tier <== band.tier;
}

template CollateralStatement() {
    signal input subject;
    signal input assetValue;
    signal input assetType;
    signal input lienFlag;
    signal input valuationDay;
    signal input assetId;
    signal input issuedAt;
    signal input expiresAt;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input loanAmount;
    signal input currency;
    signal input minCollateralRatioBps;
    signal input maxValuationAgeDays;
    signal input today;
    signal input maxAgeDays;
    signal input issuerAx;
    signal input issuerAy;
    signal output lock;

    component lockHash = Poseidon(4);
    lockHash.inputs[0] <== 3;
    lockHash.inputs[1] <== issuerAx;
    lockHash.inputs[2] <== issuerAy;
    lockHash.inputs[3] <== assetId;
    lock <== lockHash.out;

    component cred = SignedCredential(10);
    cred.fields[0] <== 3;
    cred.fields[1] <== subject;
    cred.fields[2] <== currency;
    cred.fields[3] <== assetValue;
    cred.fields[4] <== assetType;
    cred.fields[5] <== lienFlag;
    cred.fields[6] <== valuationDay;
    cred.fields[7] <== assetId;
    cred.fields[8] <== issuedAt;
    cred.fields[9] <== expiresAt;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component fresh = Fresh();
    fresh.issuedAt <== issuedAt;
    fresh.expiresAt <== expiresAt;
    fresh.today <== today;
    fresh.maxAgeDays <== maxAgeDays;

    component valueBits = RangeCheck(64);
    valueBits.in <== assetValue;
    component loanBits = RangeCheck(64);
    loanBits.in <== loanAmount;
    component ratioBits = RangeCheck(16);
    ratioBits.in <== minCollateralRatioBps;

    signal required;
    required <== loanAmount * minCollateralRatioBps;
    component covered = AssertGreaterEq(80);
    covered.a <== assetValue * 10000;
    covered.b <== required;

    lienFlag === 0;

    component valued = AssertLessEq(32);
    valued.a <== today;
    valued.b <== valuationDay + maxValuationAgeDays;
    component notFuture = AssertLessEq(32);
    notFuture.a <== valuationDay;
    notFuture.b <== today;
    component ageBits = RangeCheck(16);
    ageBits.in <== maxValuationAgeDays;
}

template IdentityStatement(depth, nDenied) {
    signal input subject;
    signal input birthDate;
    signal input jurisdiction;
    signal input kycLevel;
    signal input pathElements[depth];
    signal input pathIndices[depth];
    signal input deniedJurisdictions[nDenied];
    signal input issuedAt;
    signal input expiresAt;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input kycRoot;
    signal input todayYmd;
    signal input minAgeYears;
    signal input denyListHash;
    signal input today;
    signal input maxAgeDays;
    signal input issuerAx;
    signal input issuerAy;
    signal output level;

    component cred = SignedCredential(7);
    cred.fields[0] <== 4;
    cred.fields[1] <== subject;
    cred.fields[2] <== birthDate;
    cred.fields[3] <== jurisdiction;
    cred.fields[4] <== kycLevel;
    cred.fields[5] <== issuedAt;
    cred.fields[6] <== expiresAt;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component fresh = Fresh();
    fresh.issuedAt <== issuedAt;
    fresh.expiresAt <== expiresAt;
    fresh.today <== today;
    fresh.maxAgeDays <== maxAgeDays;

    component tree = MerkleRoot(depth);
    tree.leaf <== subject;
    for (var i = 0; i < depth; i++) {
        tree.pathElements[i] <== pathElements[i];
        tree.pathIndices[i] <== pathIndices[i];
    }
    tree.root === kycRoot;

    component ageYears = RangeCheck(8);
    ageYears.in <== minAgeYears;
    component adult = AssertLessEq(32);
    adult.a <== birthDate + minAgeYears * 10000;
    adult.b <== todayYmd;

    component denyHash = Poseidon(nDenied);
    component allowed[nDenied];
    for (var i = 0; i < nDenied; i++) {
        denyHash.inputs[i] <== deniedJurisdictions[i];
        allowed[i] = AssertNotEqual();
        allowed[i].in <== jurisdiction;
        allowed[i].forbidden <== deniedJurisdictions[i];
    }
    denyHash.out === denyListHash;
    component known = AssertNotEqual();
    known.in <== jurisdiction;
    known.forbidden <== 0;

    level <== kycLevel;
}
