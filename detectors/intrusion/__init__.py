"""Intrusion attempts: probing and exploits aimed at the servers rather than at an account."""
