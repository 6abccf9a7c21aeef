pragma circom 2.1.0;

// SMT exclusion of a revocation nonce at depth 32 (ADR 0015 measurement).
include "lib/revocation.circom";

component main {public [revRoot]} = NonRevoked(32);
