"""Alert and digest emails, rendered with jinja2 (text and HTML), personal data masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.incidents import Incident
from notifications.mask import mask_user

ENVIRONMENT = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    keep_trailing_newline=True,
)
COLOURS = {"low": "#8b949e", "medium": "#d29922", "high": "#f85149", "critical": "#a40e26"}
FAMILY_NAMES = {
    "account_takeover": "Account takeover",
    "impersonation": "Impersonation",
    "bulk_access": "Bulk access",
    "integrity": "File integrity",
    "intrusion": "Intrusion attempt",
}
EVIDENCE_LINES = 10


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def subject_for(incidents: Sequence[Incident], staff: frozenset[str] = frozenset()) -> str:
    """[Vigil][HIGH] Account takeover: brute force from 203.0.113.7 (+2 more)"""
    lead = max(incidents, key=lambda incident: incident.severity.rank)
    family = FAMILY_NAMES.get(lead.family, lead.family)
    what = lead.detector.rpartition(".")[2].replace("_", " ")
    if user := lead.entities.get("user"):
        what += f" for {mask_user(user, staff)}"
    if ip := lead.entities.get("ip"):
        what += f" from {ip}"
    more = f" (+{len(incidents) - 1} more)" if len(incidents) > 1 else ""
    return f"[Vigil][{lead.severity.upper()}] {family}: {what}{more}"


def shown(name: str, value: str, staff: frozenset[str] = frozenset()) -> str:
    return mask_user(value, staff) if name in ("user", "actor", "customer") else value


def evidence_line(reference: Mapping[str, Any], staff: frozenset[str]) -> str:
    user = reference.get("user.name")
    parts = [
        str(reference.get("@timestamp", "")),
        str(reference.get("event.action", "")),
        str(reference.get("event.outcome", "")),
        f"user={mask_user(str(user), staff)}" if user else "",
        f"ip={reference['source.ip']}" if reference.get("source.ip") else "",
    ]
    return " ".join(part for part in parts if part)


def item(
    incident: Incident, ack_link: str, dashboard: str, runbook: str, staff: frozenset[str]
) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": str(incident.severity),
        "status": str(incident.status),
        "event_count": incident.event_count,
        "first_seen": incident.first_seen,
        "last_seen": incident.last_seen,
        "entities": [(k, shown(k, v, staff)) for k, v in sorted(incident.entities.items())],
        "evidence": [evidence_line(r, staff) for r in incident.evidence[:EVIDENCE_LINES]],
        "runbook": runbook,
        "ack_link": ack_link,
        "dashboard_link": f"{dashboard}/incidents/{incident.id}",
        "colour": COLOURS.get(str(incident.severity), "#8b949e"),
    }


def render_alert(
    incidents: Sequence[Incident],
    links: Mapping[str, str],
    dashboard: str,
    runbooks: Mapping[str, str],
    escalation: str,
    staff: frozenset[str] = frozenset(),
) -> Rendered:
    """One alert for a group of incidents; the title of each is masked where it names a user."""
    items = [
        item(incident, links[incident.id], dashboard, runbooks.get(incident.detector, ""), staff)
        for incident in incidents
    ]
    for entry, incident in zip(items, incidents, strict=True):
        entry["title"] = masked_title(incident, staff)
    subject = subject_for(incidents, staff)
    context = {
        "headline": subject.removeprefix("[Vigil]"),
        "incidents": items,
        "escalation": escalation,
    }
    return Rendered(
        subject,
        ENVIRONMENT.get_template("alert.txt.j2").render(context),
        ENVIRONMENT.get_template("alert.html.j2").render(context),
    )


def masked_title(incident: Incident, staff: frozenset[str]) -> str:
    title = incident.title
    user = incident.entities.get("user")
    return title.replace(user, mask_user(user, staff)) if user else title


def render_digest(
    incidents: Sequence[Incident], dashboard: str, staff: frozenset[str] = frozenset()
) -> Rendered:
    items = [
        {
            "id": i.id,
            "status": str(i.status),
            "title": masked_title(i, staff),
            "first_seen": i.first_seen,
            "event_count": i.event_count,
        }
        for i in incidents
    ]
    subject = f"[Vigil] Daily digest: {len(incidents)} low-severity incidents"
    text = ENVIRONMENT.get_template("digest.txt.j2").render(incidents=items, dashboard=dashboard)
    return Rendered(subject, text, "")
