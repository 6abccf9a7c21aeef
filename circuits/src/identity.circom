pragma circom 2.1.0;

// Identity (KYC): "my identity commitment is a leaf of the KYC provider's
// Merkle tree under kycRoot, the provider's signed KYC credential says I am at
// least minAgeYears old today, and my jurisdiction is not in the deny-set
// committed to by denyListHash". Outputs the KYC level (basic = 1,
// enhanced = 2), which sets remittance limits.
//
// Credential fields: [4, subject, birthDate, jurisdiction, kycLevel]
// Dates are YYYYMMDD integers, so "18 years old" is exactly
// birthDate + 18 * 10000 <= today, with no leap-year approximation.
// The deny-set is 8 ISO 3166 numeric codes (0 = unused slot), hashed with
// Poseidon(8) so that one public input carries the whole list.

include "lib/safe_comparators.circom";
include "lib/credential.circom";
include "lib/holder.circom";
include "lib/merkle_proof.circom";

template Identity(depth, nDenied) {
    // private
    signal input identitySecret;
    signal input birthDate;            // YYYYMMDD
    signal input jurisdiction;         // ISO 3166-1 numeric
    signal input kycLevel;
    signal input pathElements[depth];
    signal input pathIndices[depth];
    signal input deniedJurisdictions[nDenied];
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    // public
    signal input kycRoot;
    signal input todayYmd;             // YYYYMMDD, checked by the verifier
    signal input minAgeYears;
    signal input denyListHash;
    signal input issuerAx;
    signal input issuerAy;
    signal input scope;
    signal input wallet;
    signal output nullifier;
    signal output level;

    component holder = Holder();
    holder.identitySecret <== identitySecret;
    holder.scope <== scope;
    holder.wallet <== wallet;
    nullifier <== holder.nullifier;

    component cred = SignedCredential(5);
    cred.fields[0] <== 4;
    cred.fields[1] <== holder.subject;
    cred.fields[2] <== birthDate;
    cred.fields[3] <== jurisdiction;
    cred.fields[4] <== kycLevel;
    cred.issuerAx <== issuerAx;
    cred.issuerAy <== issuerAy;
    cred.sigR8x <== sigR8x;
    cred.sigR8y <== sigR8y;
    cred.sigS <== sigS;

    component tree = MerkleRoot(depth);
    tree.leaf <== holder.subject;
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

component main {public [kycRoot, todayYmd, minAgeYears, denyListHash, issuerAx, issuerAy, scope, wallet]} = Identity(20, 8);
