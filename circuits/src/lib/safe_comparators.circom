pragma circom 2.1.0;

// Range-checked comparisons.
//
// circomlib's LessThan(n) is only sound when both inputs are already known to
// fit in n bits: a field element above 2^n wraps and can make a false
// comparison true. Every template here runs Num2Bits on each operand first,
// so a prover cannot pick an out-of-range value to satisfy a threshold.

include "bitify.circom";
include "comparators.circom";

// Constrains `in` to [0, 2^n).
template RangeCheck(n) {
    signal input in;
    component bits = Num2Bits(n);
    bits.in <== in;
}

// out = 1 when a <= b, both operands range-checked to n bits.
template SafeLessEq(n) {
    signal input a;
    signal input b;
    signal output out;

    component ra = RangeCheck(n);
    ra.in <== a;
    component rb = RangeCheck(n);
    rb.in <== b;

    component le = LessEqThan(n);
    le.in[0] <== a;
    le.in[1] <== b;
    out <== le.out;
}

// Enforces a <= b, both operands range-checked to n bits.
template AssertLessEq(n) {
    signal input a;
    signal input b;

    component le = SafeLessEq(n);
    le.a <== a;
    le.b <== b;
    le.out === 1;
}

// Enforces a >= b, both operands range-checked to n bits.
template AssertGreaterEq(n) {
    signal input a;
    signal input b;

    component le = AssertLessEq(n);
    le.a <== b;
    le.b <== a;
}

// Enforces in != forbidden.
template AssertNotEqual() {
    signal input in;
    signal input forbidden;

    component eq = IsEqual();
    eq.in[0] <== in;
    eq.in[1] <== forbidden;
    eq.out === 0;
}
