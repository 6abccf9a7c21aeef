"""The worker agent: the only place a worker's private data exists."""
