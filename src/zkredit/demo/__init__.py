"""``zkredit demo``: the DOMAIN.md scenarios against real running agent services."""
