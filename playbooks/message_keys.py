"""Outbox keys of a breach's messages: one key, one delivery, so nobody is notified twice."""

from __future__ import annotations


def authority_key(breach_id: str, phase: int) -> str:
    return f"breach:{breach_id}:authority:{phase}"


def draft_key(breach_id: str, phase: int, revision: int, person: str) -> str:
    """A new draft when the phase's incidents change (the same event, joined late)."""
    return f"breach:{breach_id}:draft:{phase}:{revision}:{person}"


def customer_key(breach_id: str, customer_id: str) -> str:
    return f"breach:{breach_id}:customer:{customer_id}"
