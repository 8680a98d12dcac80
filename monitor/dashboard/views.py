"""What each role may see of an incident (policy section 6: customer data is need-to-know)."""

from __future__ import annotations

from typing import Any

from monitor.dashboard.users import Role
from monitor.incidents import Incident
from notifications.mask import mask_user
from notifications.render import masked_title

SEES_CUSTOMERS = frozenset({Role.INTERNAL_CONTROL})
PERSONAL = ("user.name", "user.target.name", "labels.customer_id")
PERSONAL_ENTITIES = ("user", "customer", "actor", "target_user")


def hidden_title(incident: Incident, staff: frozenset[str]) -> str:
    """The title with the usernames and customer ids it names masked: "imitating customer
    C-1001" is personal data to everyone but internal control."""
    title = masked_title(incident, staff)
    named = [v for k, v in incident.entities.items() if k in PERSONAL_ENTITIES and v]
    for value in sorted({*named, *incident.affected_customers}, key=len, reverse=True):
        title = title.replace(value, mask_user(value, staff))
    return title


def incident_view(incident: Incident, role: Role, staff: frozenset[str]) -> dict[str, Any]:
    """The incident JSON, with customers' identities masked or dropped for other roles."""
    document = incident.to_dict()
    if role in SEES_CUSTOMERS:
        return document
    document["title"] = hidden_title(incident, staff)
    document["entities"] = {
        name: mask_user(value, staff) if name in PERSONAL_ENTITIES else value
        for name, value in incident.entities.items()
    }
    # Every role learns how many customers are affected; only internal control learns who.
    document["affected_customers"] = (
        [f"{incident.affected_count} customers (hidden)"] if incident.affected_count else []
    )
    document["evidence"] = [
        {
            key: mask_user(str(value), staff) if key in PERSONAL else value
            for key, value in reference.items()
        }
        for reference in incident.evidence
    ]
    return document
