pragma circom 2.1.0;

// today <= expiresAt and today - issuedAt <= maxAgeDays (ADR 0015 measurement).
include "lib/revocation.circom";

component main {public [today, maxAgeDays]} = FreshAndNotExpired();
