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
from detectors.account_takeover.devices import NewDeviceSensitiveChange
from detectors.account_takeover.travel import ImpossibleTravel
from detectors.base import Detector, Example, History, Window
from detectors.bulk_access import ExportDrop, Scraping, UnauthorizedDepartment
from detectors.crawling import Crawling
from detectors.customers import Customers
from detectors.geo import Geo
from detectors.impersonation import (
    CrossAccountAccess,
    LookalikeIdentity,
    PhishingReferrer,
    SessionHijack,
    StaffImpersonation,
)
from detectors.integrity import FileIntegrity
from detectors.intrusion import (
    HttpProbing,
    Injection,
    Networks,
    ScannerAgent,
    SensitiveFiles,
)
from detectors.intrusion.ssh_probing import SshProbing
from detectors.people import people_from
from detectors.volume import VolumeModel
from detectors.volume_anomaly import VolumeAnomaly
from monitor.settings import Settings


def build_detectors(
    settings: Settings, volume_model: VolumeModel | None = None
) -> tuple[Detector, ...]:
    """Every detector Vigil runs, configured, with the directories they consult (and, when
    rebuilt after a directory changed, the volume model already in use)."""
    config, people = settings.detectors, people_from(settings)
    geo = Geo(config.geo.city_database, config.geo.asn_database, config.geo.trusted_networks)
    crawlers = Networks(config.crawling.verified_crawlers)
    customers = Customers(people)  # resolved only as a finding is built
    return (
        BruteForce(config.brute_force, customers),
        CompromiseAfterFailures(config.compromise_after_failures, customers),
        PasswordSpray(config.password_spray, config.credential_stuffing, geo, customers),
        CredentialStuffing(config.credential_stuffing, geo, customers),
        DistributedGuessing(config.distributed_guessing, customers),
        MfaFatigue(config.mfa_fatigue, customers),
        ImpossibleTravel(config.impossible_travel, geo, customers),
        NewDeviceSensitiveChange(config.new_device_sensitive_change, geo, customers),
        UnauthorizedDepartment(people, config.allowed_departments),
        Scraping(config.scraping, geo),
        ExportDrop(config.export_drop),
        VolumeAnomaly(config.volume_anomaly, volume_model or VolumeModel()),
        FileIntegrity(config.file_integrity),
        CrossAccountAccess(people),
        StaffImpersonation(
            config.staff_impersonation, people, config.allowed_departments, customers
        ),
        SessionHijack(config.session_hijack, geo, customers),
        LookalikeIdentity(people, config.lookalike.domains),
        PhishingReferrer(config.lookalike.domains, customers),
        SshProbing(config.ssh_probing),
        HttpProbing(config.http_probing, crawlers),
        SensitiveFiles(config.sensitive_files, crawlers),
        ScannerAgent(config.scanner_agents),
        Injection(config.injection),
        Crawling(config.crawling, crawlers),
    )


__all__ = ["Detector", "Example", "History", "Window", "build_detectors"]
