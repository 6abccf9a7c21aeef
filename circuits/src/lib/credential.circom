pragma circom 2.1.0;

// Issuer-signed credentials.
//
// A credential is a fixed list of field elements whose first two entries are
// the credential type tag and the subject (the holder's identity commitment).
// The issuer signs Poseidon(fields) with EdDSA-Poseidon on BabyJubJub. The
// issuer public key is a public input, so the verifier decides which issuers it
// trusts; the signature itself stays private. circomlib's verifier checks
// S < subgroup order and rejects a small-order public key.

include "poseidon.circom";
include "eddsaposeidon.circom";

template SignedCredential(nFields) {
    signal input fields[nFields];   // [typeTag, subject, ...attributes]
    signal input issuerAx;          // issuer public key, x
    signal input issuerAy;          // issuer public key, y
    signal input sigR8x;            // signature R8 point, x
    signal input sigR8y;            // signature R8 point, y
    signal input sigS;              // signature scalar
    signal output hash;             // Poseidon(fields), the signed message

    component h = Poseidon(nFields);
    for (var i = 0; i < nFields; i++) {
        h.inputs[i] <== fields[i];
    }
    hash <== h.out;

    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== 1;
    sig.Ax <== issuerAx;
    sig.Ay <== issuerAy;
    sig.S <== sigS;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.M <== hash;
}
