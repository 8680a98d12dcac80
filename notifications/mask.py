"""Masking of personal data for people who may not see it (policy section 6)."""

from __future__ import annotations


def mask_email(address: str) -> str:
    """hoa.nguyen@example.com -> h***@example.com"""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else mask_text(address)


def mask_text(value: str) -> str:
    """A name or other identifier: first letter, then stars."""
    return value[:1] + "***" if value else value


def mask_user(name: str, staff: frozenset[str] = frozenset()) -> str:
    """Usernames of customers are personal data; a staff or service name is shown as is."""
    return name if name in SERVICE_ACCOUNTS or name in staff else mask_text(name)


# Names on servers that belong to no person: showing them reveals nothing about a customer.
SERVICE_ACCOUNTS = frozenset(
    {
        "root",
        "admin",
        "administrator",
        "ubuntu",
        "test",
        "oracle",
        "postgres",
        "git",
        "deploy",
        "www-data",
        "nobody",
        "pi",
        "user",
    }
)
