"""The remittance agent: quotes, compliance, execution and bookkeeping of transfers.

It receives proofs and public signals from the worker agent, never the worker's
raw data; it pays out through the receiver agent and keeps the double-entry books.
"""
