"""Incidents: the deduplicated, stateful record people act on."""

from monitor.incidents.lifecycle import Classification, Lifecycle, TransitionRefused
from monitor.incidents.model import Incident, Status
from monitor.incidents.store import Change, IncidentStore

__all__ = [
    "Change",
    "Classification",
    "Incident",
    "IncidentStore",
    "Lifecycle",
    "Status",
    "TransitionRefused",
]
