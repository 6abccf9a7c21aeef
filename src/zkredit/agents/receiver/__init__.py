"""The receiver agent: verifies recipients, pays out through rail adapters, confirms
delivery, opens the travel-rule data encrypted to it, and handles disputes."""
