"""Detectors: one module per family, listed here explicitly."""

from __future__ import annotations

from detectors.account_takeover import (
    BruteForce,
    CompromiseAfterFailures,
    CredentialStuffing,
    DistributedGuessing,
    MfaFatigue,
    PasswordSpray,
)
from detectors.base import Detector, Example, History, Window
from detectors.bulk_access import Scraping, UnauthorizedDepartment
from detectors.impersonation import CrossAccountAccess, StaffImpersonation
from detectors.people import people_from
from monitor.settings import Settings


def build_detectors(settings: Settings) -> tuple[Detector, ...]:
    """Every detector Vigil runs, configured, with the directories they consult."""
    config, people = settings.detectors, people_from(settings)
    return (
        BruteForce(config.brute_force),
        CompromiseAfterFailures(config.compromise_after_failures),
        PasswordSpray(config.password_spray, config.credential_stuffing),
        CredentialStuffing(config.credential_stuffing),
        DistributedGuessing(config.distributed_guessing),
        MfaFatigue(config.mfa_fatigue),
        UnauthorizedDepartment(people, config.allowed_departments),
        Scraping(config.scraping),
        CrossAccountAccess(people),
        StaffImpersonation(config.staff_impersonation, people, config.allowed_departments),
    )


__all__ = ["Detector", "Example", "History", "Window", "build_detectors"]
