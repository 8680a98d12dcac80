"""What each role may see of an incident (policy section 6: customer data is need-to-know)."""

from __future__ import annotations

from typing import Any

from monitor.dashboard.users import Role
from monitor.incidents import Incident
from notifications.mask import mask_user
from notifications.render import masked_title

SEES_CUSTOMERS = frozenset({Role.INTERNAL_CONTROL})
PERSONAL = ("user.name", "user.target.name", "labels.customer_id")


def incident_view(incident: Incident, role: Role, staff: frozenset[str]) -> dict[str, Any]:
    """The incident JSON, with customers' identities masked or dropped for other roles."""
    document = incident.to_dict()
    if role in SEES_CUSTOMERS:
        return document
    document["title"] = masked_title(incident, staff)
    document["entities"] = {
        name: mask_user(value, staff) if name in ("user", "customer", "actor") else value
        for name, value in incident.entities.items()
    }
    document["affected_customers"] = (
        [] if role is Role.IT else [f"{incident.affected_count} customers (hidden)"]
    )
    document["evidence"] = [
        {
            key: mask_user(str(value), staff) if key in PERSONAL else value
            for key, value in reference.items()
        }
        for reference in incident.evidence
    ]
    return document
