"""Environments: ``environments/<name>.yml`` documents, their schema and how they are read.

An environment says what runs where: the chain, the database, the agents' hosts
and ports, TLS, and the operational parameters. :mod:`zkredit.settings` layers
``.env`` and environment variables over it. The schema and the loader import
nothing from :mod:`zkredit.settings`, so settings can import them; ``view`` (what
``zkredit config show`` prints) reads a loaded ``Settings``.
"""
