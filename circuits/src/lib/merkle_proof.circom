pragma circom 2.1.0;

// Poseidon Merkle inclusion.
//
// Recomputes the root from a leaf and its sibling path. Each path index is
// forced to be a bit; index 0 means the current node is the left child. The
// hashing matches zkredit.zk.merkle: node = Poseidon(left, right), empty leaf 0.

include "poseidon.circom";

template MerkleRoot(depth) {
    signal input leaf;
    signal input pathElements[depth];
    signal input pathIndices[depth];
    signal output root;

    component hashers[depth];
    signal levels[depth + 1];
    signal left[depth];
    signal right[depth];
    levels[0] <== leaf;

    for (var i = 0; i < depth; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;

        // left = idx ? sibling : node ; right = idx ? node : sibling
        left[i] <== levels[i] + pathIndices[i] * (pathElements[i] - levels[i]);
        right[i] <== pathElements[i] + levels[i] - left[i];

        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== left[i];
        hashers[i].inputs[1] <== right[i];
        levels[i + 1] <== hashers[i].out;
    }
    root <== levels[depth];
}
