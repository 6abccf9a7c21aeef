pragma circom 2.1.0;

// Binding a proof to one holder, one scope and one wallet.
//
// subject   = Poseidon(identitySecret): the identity commitment every
//             credential is issued to. Knowing the secret proves ownership.
// nullifier = Poseidon(identitySecret, scope): deterministic per scope, so the
//             four proofs of one application share it and a second use of the
//             same scope is detectable, while different scopes are unlinkable.
// wallet    : the sender allowed to submit the proof. Squaring it puts the
//             public input into a constraint, so a proof cannot be replayed by
//             a front-runner under another address.

include "poseidon.circom";

template Holder() {
    signal input identitySecret;
    signal input scope;
    signal input wallet;
    signal output subject;
    signal output nullifier;

    component commit = Poseidon(1);
    commit.inputs[0] <== identitySecret;
    subject <== commit.out;

    component nul = Poseidon(2);
    nul.inputs[0] <== identitySecret;
    nul.inputs[1] <== scope;
    nullifier <== nul.out;

    signal walletSquare;
    walletSquare <== wallet * wallet;
}
