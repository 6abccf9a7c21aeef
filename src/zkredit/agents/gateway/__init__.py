"""The gateway on port 3000: aggregate health and the web dashboard."""
