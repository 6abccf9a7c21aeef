pragma circom 2.1.0;

// circuits/src/credit_history.circom through the shared body, no extra field: must
// compile to the product circuit's constraint count (a check that the body is in step).
include "lib/credit_history_body.circom";

component main {public [minScore, maxLate, maxDebtRatioBps, minHistoryMonths, issuerAx, issuerAy, scope, wallet]} = CreditHistoryBody(0);
