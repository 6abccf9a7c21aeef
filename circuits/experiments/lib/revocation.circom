pragma circom 2.1.0;

// Measurement gadgets for ADR 0015 (issue 7 §2, revocation). Not product circuits.
//
// NonRevoked(nLevels): the credential's revocation nonce is NOT a key of the
// issuer's revocation tree, an iden3-style sparse Merkle tree (circomlib SMT,
// Poseidon: leaf = H(key, value, 1), node = H(left, right), path = the key's
// low bits). circomlib's SMTVerifier with fnc = 1 proves exclusion: either the
// path ends in an empty slot (isOld0 = 1) or in another leaf (oldKey, oldValue)
// whose key differs from the nonce.
//
// NotExpired(): the short-lived-credential alternative, today <= expiresAt with
// both day indices range-checked to 32 bits (the check the issuedAt/expiresAt
// round adds), plus today - issuedAt <= maxAgeDays.

include "smt/smtverifier.circom";
include "../../src/lib/safe_comparators.circom";

template NonRevoked(nLevels) {
    signal input revNonce;             // private: a signed field of the credential
    signal input revRoot;              // public: the issuer's published revocation root
    signal input siblings[nLevels];    // private: the exclusion path
    signal input oldKey;               // private: the leaf met on the path, if any
    signal input oldValue;
    signal input isOld0;               // private: 1 when the path ends in an empty slot

    component smt = SMTVerifier(nLevels);
    smt.enabled <== 1;
    smt.fnc <== 1;                     // exclusion
    smt.root <== revRoot;
    for (var i = 0; i < nLevels; i++) {
        smt.siblings[i] <== siblings[i];
    }
    smt.oldKey <== oldKey;
    smt.oldValue <== oldValue;
    smt.isOld0 <== isOld0;
    smt.key <== revNonce;
    smt.value <== 0;
}

// today <= expiresAt (32-bit day indices).
template NotExpired() {
    signal input today;
    signal input expiresAt;

    component ok = AssertLessEq(32);
    ok.a <== today;
    ok.b <== expiresAt;
}

// today <= expiresAt and today - issuedAt <= maxAgeDays (the policy's max age).
template FreshAndNotExpired() {
    signal input today;
    signal input issuedAt;
    signal input expiresAt;
    signal input maxAgeDays;

    component notExpired = NotExpired();
    notExpired.today <== today;
    notExpired.expiresAt <== expiresAt;

    component issuedBefore = AssertLessEq(32);
    issuedBefore.a <== issuedAt;
    issuedBefore.b <== today;

    component fresh = AssertLessEq(32);
    fresh.a <== today - issuedAt;      // cannot wrap: issuedAt <= today above
    fresh.b <== maxAgeDays;
}
