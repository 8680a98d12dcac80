"""Incidents: the deduplicated, stateful record people act on."""

from monitor.incidents.model import Incident, Status
from monitor.incidents.store import Change, IncidentStore, TransitionRefused

__all__ = ["Change", "Incident", "IncidentStore", "Status", "TransitionRefused"]
