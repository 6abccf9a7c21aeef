"""The four agent services (worker, credit, remittance, receiver) and their common parts."""
