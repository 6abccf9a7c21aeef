"""The credit assessment agent: policy, scopes, off-chain verification, decisions, loans."""
