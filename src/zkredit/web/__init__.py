"""The web dashboard served by the gateway on port 3000 (server-rendered, Jinja2)."""
