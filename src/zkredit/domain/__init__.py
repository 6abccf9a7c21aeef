"""Pure business rules: money, credit policy, loan maths. No I/O, no frameworks."""
