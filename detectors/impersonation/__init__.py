"""Impersonation (policy sections 4 and 6): someone acting as someone they are not."""

from detectors.impersonation.lookalikes import LookalikeIdentity
from detectors.impersonation.phishing import PhishingReferrer
from detectors.impersonation.sessions import SessionHijack
from detectors.impersonation.staff import CrossAccountAccess, StaffImpersonation

__all__ = [
    "CrossAccountAccess",
    "LookalikeIdentity",
    "PhishingReferrer",
    "SessionHijack",
    "StaffImpersonation",
]
