pragma circom 2.1.0;

// The short-lived alternative's in-circuit cost: today <= expiresAt (ADR 0015 measurement).
include "lib/revocation.circom";

component main {public [today]} = NotExpired();
