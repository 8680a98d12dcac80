"""Every detector's parameters (the `detectors:` section), defaults from the issue's anchors."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

from pydantic import Field, field_validator

from monitor.config_types import Duration, Section, check_zone
from monitor.directory import department_key
from monitor.intrusion_settings import (
    CrawlingSettings,
    HttpProbingSettings,
    InjectionSettings,
    ScannerAgentSettings,
    SensitiveFilesSettings,
)

MAINTENANCE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{2}:\d{2})-(\d{2}:\d{2})$")


class BruteForceSettings(Section):
    failures: int = Field(default=5, ge=1)  # low, per source IP and per user
    window: Duration = timedelta(minutes=10)
    medium_failures: int = Field(default=20, ge=1)
    medium_window: Duration = timedelta(minutes=60)
    # Slow: many failures spread out (every gap above slow_gap), under the fast threshold.
    slow_failures: int = Field(default=10, ge=2)
    slow_window: Duration = timedelta(hours=2)
    slow_gap: Duration = timedelta(seconds=30)
    # Time-based: a few failures far apart (median gap above the floor), reset by a success.
    timed_failures: int = Field(default=4, ge=2)
    timed_window: Duration = timedelta(hours=2)
    timed_median_gap: Duration = timedelta(minutes=10)


class PasswordSpraySettings(Section):
    users: int = Field(default=10, ge=2)  # distinct users from one IP
    tries_per_user: int = Field(default=3, ge=1)  # at most, each
    failures: int = Field(default=15, ge=1)
    window: Duration = timedelta(minutes=30)


class CredentialStuffingSettings(Section):
    users: int = Field(default=15, ge=2)
    share_tried_at_most_twice: float = Field(default=0.8, gt=0, le=1)
    window: Duration = timedelta(minutes=15)


class DistributedGuessingSettings(Section):
    failures: int = Field(default=10, ge=1)  # against one user
    ips: int = Field(default=5, ge=2)  # from at least this many addresses
    window: Duration = timedelta(minutes=30)


class SshProbingSettings(Section):
    connections: int = Field(default=10, ge=2)  # that never authenticate, from one IP ...
    window: Duration = timedelta(minutes=10)  # ... within this window: low


class CompromiseSettings(Section):
    failures: int = Field(default=5, ge=1)
    window: Duration = timedelta(minutes=10)


class MfaFatigueSettings(Section):
    challenges: int = Field(default=5, ge=1)
    window: Duration = timedelta(minutes=10)


class ScrapingSettings(Section):
    records: int = Field(default=100, ge=1)
    window: Duration = timedelta(minutes=10)


class StaffImpersonationSettings(Section):
    customers: int = Field(default=5, ge=1)  # more distinct customers than this per window
    window: Duration = timedelta(hours=1)
    working_hours: str = Field(default="07:00-19:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4, 5)  # Monday to Saturday
    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        return check_zone(value)


class GeoSettings(Section):
    city_database: Path | None = None  # a current GeoLite2/GeoIP2 City file; else the shipped one
    asn_database: Path | None = None  # a GeoLite2-ASN file; else geoip2fast's bundled data
    # Office and VPN egress networks: logins through them never count as travel.
    trusted_networks: tuple[str, ...] = ()

    @field_validator("trusted_networks")
    @classmethod
    def networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
        return value


class ImpossibleTravelSettings(Section):
    distance_km: float = Field(default=500, gt=0)  # after both accuracy radii are taken off
    speed_kmh: float = Field(default=900, gt=0)
    ignore_under_km: float = Field(default=50, ge=0)
    window: Duration = timedelta(days=30)  # how far back the previous login may be


class NewDeviceSettings(Section):
    change_within: Duration = timedelta(minutes=30)  # of a login from something new
    history: int = Field(default=20, ge=1)  # logins the new one is compared with
    min_logins: int = Field(default=5, ge=1)  # no alert before the user has this many
    reset_within: Duration = timedelta(hours=1)  # email change then reset request: critical
    window: Duration = timedelta(days=90)


class SessionHijackSettings(Section):
    window: Duration = timedelta(hours=24)


class LookalikeSettings(Section):
    """The company's own names and domains: registrations and referrers must not imitate them."""

    names: tuple[str, ...] = (
        "ALS",
        "Aviation Logistics Corporation",
        "Công ty Cổ phần Logistics Hàng không",
    )
    domains: tuple[str, ...] = ("als.com.vn",)


class FileIntegritySettings(Section):
    # Weekly windows when the website may change, e.g. "Sun 01:00-03:00", in `timezone`.
    maintenance: tuple[str, ...] = ("Sun 01:00-04:00",)
    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("maintenance")
    @classmethod
    def weekly(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for window in value:
            if not MAINTENANCE.match(window):
                raise ValueError(f"{window!r}: a window is a weekday and hours, Sun 01:00-03:00")
        return value

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        return check_zone(value)


class ExportDropSettings(Section):
    contacts: int = Field(default=100, ge=1)  # emails or phone numbers in one new file


class VolumeAnomalySettings(Section):
    distinct_customers: int = Field(default=100, ge=1)  # floor: in one hour, at least ...
    usual_multiple: float = Field(default=3.0, gt=0)  # ... and this many times the own p95
    export_records: int = Field(default=500, ge=1)  # or one export of this many records
    window: Duration = timedelta(hours=1)


class DetectorSettings(Section):
    brute_force: BruteForceSettings = BruteForceSettings()
    compromise_after_failures: CompromiseSettings = CompromiseSettings()
    ssh_probing: SshProbingSettings = SshProbingSettings()
    password_spray: PasswordSpraySettings = PasswordSpraySettings()
    credential_stuffing: CredentialStuffingSettings = CredentialStuffingSettings()
    distributed_guessing: DistributedGuessingSettings = DistributedGuessingSettings()
    mfa_fatigue: MfaFatigueSettings = MfaFatigueSettings()
    scraping: ScrapingSettings = ScrapingSettings()
    staff_impersonation: StaffImpersonationSettings = StaffImpersonationSettings()
    geo: GeoSettings = GeoSettings()
    lookalike: LookalikeSettings = LookalikeSettings()
    file_integrity: FileIntegritySettings = FileIntegritySettings()
    export_drop: ExportDropSettings = ExportDropSettings()
    volume_anomaly: VolumeAnomalySettings = VolumeAnomalySettings()
    impossible_travel: ImpossibleTravelSettings = ImpossibleTravelSettings()
    new_device_sensitive_change: NewDeviceSettings = NewDeviceSettings()
    session_hijack: SessionHijackSettings = SessionHijackSettings()
    http_probing: HttpProbingSettings = HttpProbingSettings()
    sensitive_files: SensitiveFilesSettings = SensitiveFilesSettings()
    scanner_agents: ScannerAgentSettings = ScannerAgentSettings()
    injection: InjectionSettings = InjectionSettings()
    crawling: CrawlingSettings = CrawlingSettings()
    # Policy section 6: only these departments may touch customer data.
    allowed_departments: tuple[str, ...] = (
        "it",
        "page_management",
        "customer_care",
        "internal_control",
    )

    @field_validator("allowed_departments")
    @classmethod
    def compared_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """As departments are compared: `Customer Care`, `customer-care` are customer_care."""
        return tuple(department_key(name) for name in value)
