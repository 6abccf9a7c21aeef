"""People and services who call the agents' HTTP APIs: accounts, roles, tokens.

``roles`` names the roles; ``passwords`` hashes with argon2; ``tokens`` signs and
checks short-lived JWT access tokens and single-use confirmations; ``store`` keeps the
accounts, rotating refresh tokens, used confirmations and who owns which resource, in
the ``users`` database (one for the deployment, shared by every agent).
"""
