"""Whose account a log line names: a customer id from a user name or e-mail, for findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from detectors.people import People
from monitor.events import Event
from monitor.parsers.attempts import FAILURE_ACTIONS as SSH_FAILURES

# SSH logins are for server accounts: they never concern a customer.
SSH_ACTIONS = SSH_FAILURES | {"ssh-login"}


@dataclass(frozen=True, slots=True)
class Customers:
    """Customer ids by username and e-mail, built once from the directories (People)."""

    people: People
    by_name: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        emails = {
            i.name.lower(): i.customer_id
            for i in self.people.identities
            if i.customer_id and "@" in i.name
        }
        object.__setattr__(self, "by_name", emails | dict(self.people.customers))

    def of(self, name: str | None) -> str | None:
        """The customer whose username or e-mail `name` is, if any."""
        if not name:
            return None
        return self.by_name.get(name) or self.by_name.get(name.lower())

    def of_event(self, event: Event) -> str | None:
        """The customer whose account an event acts on: its own id, else its user resolved."""
        if event.action in SSH_ACTIONS or event.dataset == "sshd":
            return None
        return event.customer_id or self.of(event.user)

    def of_reference(self, reference: Mapping[str, Any]) -> str | None:
        """of_event() for an event known by its reference (a window member, evidence)."""
        if reference.get("event.action") in SSH_ACTIONS:
            return None
        own = reference.get("labels.customer_id")
        return str(own) if own else self.of(reference.get("user.name"))

    def named(self, names: Iterable[str | None]) -> tuple[str, ...]:
        """The customers among `names` (users or e-mails), each once, in order."""
        return tuple(dict.fromkeys(c for c in map(self.of, names) if c))


# For detectors built without directories (a customer id on the event still counts).
NO_CUSTOMERS = Customers(People())
