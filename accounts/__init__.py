"""Accounts: the custom user (email login), registration, tokens and revocation."""
