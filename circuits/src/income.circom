pragma circom 2.1.0;

// Income: "every one of my last 6 monthly incomes, in the policy currency, is
// at least minMonthlyIncome, and I have been employed for at least
// minEmploymentMonths", over a payroll credential signed by an employer.
//
// Credential fields: [1, subject, currency, income[0..5], employmentStartMonth]
// Months are month indices: year * 12 + (month - 1).
// Sound because the credential hash is signed by issuer (public key public),
// its subject is Poseidon(identitySecret), and every amount is range-checked
// to 64 bits before comparison.

include "lib/safe_comparators.circom";
include "lib/credential.circom";
include "lib/holder.circom";

template Income(nMonths) {
    // private
    signal input identitySecret;
    signal input income[nMonths];          // minor units, oldest first
    signal input employmentStartMonth;     // month index
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    // public
    signal input minMonthlyIncome;         // minor units of `currency`
    signal input minEmploymentMonths;
    signal input currency;                 // ISO 4217 numeric code
    signal input currentMonth;             // month index, checked by the verifier
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

    component cred = SignedCredential(4 + nMonths);
    cred.fields[0] <== 1;
    cred.fields[1] <== holder.subject;
    cred.fields[2] <== currency;
    for (var i = 0; i < nMonths; i++) {
        cred.fields[3 + i] <== income[i];
    }
    cred.fields[3 + nMonths] <== employmentStartMonth;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component enough[nMonths];
    for (var i = 0; i < nMonths; i++) {
        enough[i] = AssertGreaterEq(64);
        enough[i].a <== income[i];
        enough[i].b <== minMonthlyIncome;
    }

    // employmentStartMonth + minEmploymentMonths <= currentMonth
    component tenure = AssertLessEq(32);
    tenure.a <== employmentStartMonth + minEmploymentMonths;
    tenure.b <== currentMonth;
    component minMonths = RangeCheck(16);
    minMonths.in <== minEmploymentMonths;
}

component main {public [minMonthlyIncome, minEmploymentMonths, currency, currentMonth, issuerAx, issuerAy, scope, wallet]} = Income(6);
