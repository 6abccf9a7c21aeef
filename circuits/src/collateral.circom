pragma circom 2.1.0;

// Collateral: "I hold an asset, valued in the loan currency, worth at least
// minCollateralRatioBps of loanAmount, free of liens, valued no more than
// maxValuationAgeDays ago", over a credential signed by a custodian or asset
// registry.
//
// Credential fields:
//   [3, subject, currency, assetValue, assetType, lienFlag, valuationDay]
// Days are days since 1970-01-01. Values are range-checked to 64 bits and the
// ratio to 16 bits, so both products stay below 2^80 and cannot wrap.

include "lib/safe_comparators.circom";
include "lib/credential.circom";
include "lib/holder.circom";

template Collateral() {
    // private
    signal input identitySecret;
    signal input assetValue;       // minor units of `currency`
    signal input assetType;
    signal input lienFlag;         // 0 = no lien
    signal input valuationDay;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    // public
    signal input loanAmount;       // minor units of `currency`
    signal input currency;         // ISO 4217 numeric code
    signal input minCollateralRatioBps;
    signal input today;            // days since epoch, checked by the verifier
    signal input maxValuationAgeDays;
    signal input issuerAx;
    signal input issuerAy;
    signal input scope;
    signal input wallet;
    signal output nullifier;

    component holder = Holder();
    holder.identitySecret <== identitySecret;
    holder.scope <== scope;
    holder.wallet <== wallet;
    nullifier <== holder.nullifier;

    component cred = SignedCredential(7);
    cred.fields[0] <== 3;
    cred.fields[1] <== holder.subject;
    cred.fields[2] <== currency;
    cred.fields[3] <== assetValue;
    cred.fields[4] <== assetType;
    cred.fields[5] <== lienFlag;
    cred.fields[6] <== valuationDay;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component valueBits = RangeCheck(64);
    valueBits.in <== assetValue;
    component loanBits = RangeCheck(64);
    loanBits.in <== loanAmount;
    component ratioBits = RangeCheck(16);
    ratioBits.in <== minCollateralRatioBps;

    // assetValue * 10000 >= loanAmount * minCollateralRatioBps
    signal required;
    required <== loanAmount * minCollateralRatioBps;
    component covered = AssertGreaterEq(80);
    covered.a <== assetValue * 10000;
    covered.b <== required;

    lienFlag === 0;

    // today - maxValuationAgeDays <= valuationDay <= today
    component fresh = AssertLessEq(32);
    fresh.a <== today;
    fresh.b <== valuationDay + maxValuationAgeDays;
    component notFuture = AssertLessEq(32);
    notFuture.a <== valuationDay;
    notFuture.b <== today;
    component ageBits = RangeCheck(16);
    ageBits.in <== maxValuationAgeDays;
}

component main {public [loanAmount, currency, minCollateralRatioBps, today, maxValuationAgeDays, issuerAx, issuerAy, scope, wallet]} = Collateral();
