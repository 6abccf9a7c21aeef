"""Operating ZKredit: deployment manager, and (later) health, backup and diagnosis tools."""
