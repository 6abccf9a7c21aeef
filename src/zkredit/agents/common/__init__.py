"""What every agent shares: envelopes, app factory, error mapping, health, agent cards."""
