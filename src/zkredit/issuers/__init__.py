"""External credential issuers and the KYC provider. Not part of any agent."""
