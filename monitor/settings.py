"""Settings: config/vigil.yaml defaults, a --config file over them, environment over both."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.config_types import Duration, Section, check_zone
from monitor.detector_settings import DetectorSettings
from monitor.organisation_settings import OrganisationSettings
from monitor.parsers.base import Networks, networks
from monitor.respond_settings import (
    AlertSettings,
    BreachSettings,
    DashboardSettings,
    OutboxSettings,
    SmtpSettings,
    WebSettings,
)
from monitor.route_settings import RouteSettings
from monitor.signing_settings import SigningSettings


class StartAt(StrEnum):
    BEGINNING = "beginning"
    END = "end"


class SourceType(StrEnum):
    FILE = "file"
    JOURNALD = "journald"


# sshd's own process, and the per-connection one OpenSSH 9.8 split off (Debian 13, Ubuntu 24.10).
DEFAULT_MATCHES = ("_COMM=sshd", "_COMM=sshd-session")
JOURNAL_MATCH = re.compile(r"^(\+|[A-Z0-9_]+=.*)$")
FILE_KEYS = ("path", "format", "timezone", "trusted_proxies")
JOURNALD_KEYS = ("name", "matches", "unit", "directory", "file")


class SourceSettings(Section):
    """One watched path or glob, or one journal read through journalctl."""

    type: SourceType = SourceType.FILE
    path: str = ""  # file sources: a path or glob
    format: str = "auto"
    start_at: StartAt = StartAt.BEGINNING
    timezone: str | None = None
    # Web logs: the site's own proxies beyond private networks (a CDN's published ranges),
    # as addresses or networks; behind them the client is read from X-Forwarded-For.
    trusted_proxies: tuple[str, ...] = ()
    # journald sources: which entries (journalctl matches, or a unit) from which journal
    name: str | None = None  # the checkpoint's name; default: directory, file or "system"
    matches: tuple[str, ...] = DEFAULT_MATCHES
    unit: str | None = None
    directory: str | None = None  # journalctl --directory (a copied or remote journal)
    file: str | None = None  # journalctl --file (one journal file; globs allowed)

    @field_validator("trusted_proxies")
    @classmethod
    def networks_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                network = ipaddress.ip_network(item)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network") from None
            if network.prefixlen < (8 if network.version == 4 else 16):
                # Every address a proxy: any client's own X-Forwarded-For would be believed.
                raise ValueError(f"{item!r} is wider than a CDN's ranges (/8, /16 for IPv6)")
        return value

    def proxy_networks(self) -> Networks:
        return networks(self.trusted_proxies)

    @field_validator("format")
    @classmethod
    def known_format(cls, value: str) -> str:
        if value not in ("auto", "sshd", "nginx", "apache", "ecs", "journald"):
            raise ValueError("format is one of auto, sshd, nginx, apache, ecs, journald")
        return value

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)

    @field_validator("matches")
    @classmethod
    def journal_matches(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for match in value:
            if not JOURNAL_MATCH.match(match):
                raise ValueError(f"{match!r} is not a journal match: FIELD=value or +")
        return value

    @model_validator(mode="after")
    def keys_fit_type(self) -> SourceSettings:
        """Each type has its own keys; a key of the other type is a mistake worth naming."""
        given = self.model_fields_set
        own = JOURNALD_KEYS if self.type is SourceType.JOURNALD else FILE_KEYS
        foreign = [key for key in (*FILE_KEYS, *JOURNALD_KEYS) if key in given and key not in own]
        if foreign:
            raise ValueError(f"{foreign[0]}: not a key of a {self.type} source")
        if self.type is SourceType.FILE and not self.path:
            raise ValueError("path: a file source needs a path or glob")
        if self.directory and self.file:
            raise ValueError("file: give directory or file, not both")
        if self.unit is not None and "matches" in given:
            raise ValueError("unit: give matches or unit, not both")
        return self

    @property
    def journal(self) -> str:
        """The name a journald source's cursor is checkpointed under."""
        return self.name or self.directory or self.file or "system"


class FolderSettings(Section):
    """Folders watched for changes rather than tailed: the website's code, the export drop."""

    integrity: tuple[str, ...] = ()  # files or globs (** for depth) whose changes matter
    exports: tuple[str, ...] = ()  # folders where a file full of contacts must not appear
    max_scan_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)  # read of a new export
    poll_interval: Duration = timedelta(seconds=30)  # besides watchdog's notices


class RedisSettings(Section):
    url: SecretStr | None = None
    prefix: str = Field(default="vigil", pattern=r"^[A-Za-z0-9_.-]+$")
    data_dir: Path = Path("var/redis")


class IngestSettings(Section):
    batch_lines: int = Field(default=5000, ge=1, le=100_000)
    poll_interval: Duration = timedelta(seconds=1)
    # After a file's write wakes ingest, it waits this long for more before reading: a
    # flood then makes stream entries of hundreds of lines, not one per write, and every
    # batch after it costs the detect worker and Redis a fixed price (Filebeat's flush
    # timeout). Reading a backlog never waits.
    linger: Duration = timedelta(milliseconds=50)
    max_line_bytes: int = Field(default=65536, ge=256)
    # Lines (events) the stream may hold when no worker reads it; what goes unread is counted.
    stream_maxlen: int = Field(default=1_000_000, ge=100)
    dead_letter_maxlen: int = Field(default=10_000, ge=10)
    timezone: str = "Asia/Ho_Chi_Minh"
    # A file rotated away is read until it has had no write for this long (Filebeat's
    # close_inactive): nginx writes to the old file until its reopen signal arrives.
    close_inactive: Duration = timedelta(seconds=5)
    # Files kept open at once, shared by the file sources; the least recently active
    # (read to their end) are closed and opened again when they grow.
    max_open_files: int = Field(default=512, ge=8)

    @model_validator(mode="after")
    def stream_holds_a_batch(self) -> IngestSettings:
        if self.stream_maxlen < self.batch_lines:
            raise ValueError(
                f"stream_maxlen ({self.stream_maxlen} lines) must hold one batch "
                f"(batch_lines, {self.batch_lines})"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        return check_zone(value)


class WorkerSettings(Section):
    # A batch is the stream entries read at once: at most batch_entries, about batch_events
    # events (ingest writes an entry per read of its files, small when lines trickle in).
    batch_entries: int = Field(default=100, ge=1, le=1000)
    batch_events: int = Field(default=20_000, ge=1, le=100_000)
    block: Duration = timedelta(seconds=1)
    claim_idle: Duration = timedelta(seconds=60)


class IncidentSettings(Section):
    suppression_window: Duration = timedelta(hours=1)
    reopen_window: Duration = timedelta(hours=24)
    evidence_limit: int = Field(default=50, ge=1)
    changes_maxlen: int = Field(default=10_000, ge=100)
    # Customer ids an incident's JSON lists (sorted) beside their count; all of them through
    # `vigil incidents customers`, the API's /customers and the breach playbook.
    customers_shown: int = Field(default=100, ge=1)


class DirectorySettings(Section):
    staff: Path = Path("config/staff.csv")
    customers: Path = Path("config/customers.csv")


class Settings(Section):
    """Everything Vigil reads at start, validated once and passed in explicitly."""

    redis: RedisSettings = RedisSettings()
    sources: tuple[SourceSettings, ...] = ()
    folders: FolderSettings = FolderSettings()
    ingest: IngestSettings = IngestSettings()
    worker: WorkerSettings = WorkerSettings()
    incidents: IncidentSettings = IncidentSettings()
    detectors: DetectorSettings = DetectorSettings()
    routes: RouteSettings = RouteSettings()
    smtp: SmtpSettings = SmtpSettings()
    alerts: AlertSettings = AlertSettings()
    outbox: OutboxSettings = OutboxSettings()
    directories: DirectorySettings = DirectorySettings()
    web: WebSettings = WebSettings()
    dashboard: DashboardSettings = DashboardSettings()
    breach: BreachSettings = BreachSettings()
    signing: SigningSettings = SigningSettings()
    organisation: OrganisationSettings = OrganisationSettings()

    @field_validator("sources")
    @classmethod
    def journals_distinct(cls, value: tuple[SourceSettings, ...]) -> tuple[SourceSettings, ...]:
        """Each journald source has a cursor of its own, checkpointed under its name."""
        names = [s.journal for s in value if s.type is SourceType.JOURNALD]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two journald sources named {name!r}: give each a `name`")
        return value


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


# Environment variables and the key each overrides.
ENVIRONMENT = {
    "REDIS_URL": ("redis", "url"),
    "VIGIL_REDIS_PREFIX": ("redis", "prefix"),
    "VIGIL_DATA_DIR": ("redis", "data_dir"),
    "SMTP_HOST": ("smtp", "host"),
    "SMTP_PORT": ("smtp", "port"),
    "SMTP_USERNAME": ("smtp", "username"),
    "SMTP_PASSWORD": ("smtp", "password"),
    "SMTP_STARTTLS": ("smtp", "starttls"),
    "SMTP_TLS": ("smtp", "tls"),
    "SMTP_SENDER": ("smtp", "sender"),
    "VIGIL_SECRET_KEY": ("web", "secret_key"),
    "VIGIL_RECORD_KEY": ("breach", "record_key"),
    "VIGIL_PUBLIC_URL": ("alerts", "public_url"),
}


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Merge the shipped defaults, the file at `path` and the environment, then validate."""
    data = read_yaml_text(
        resources.files("config").joinpath("vigil.yaml").read_text(), "vigil.yaml"
    )
    source = "config/vigil.yaml"
    if path is not None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
        except UnicodeDecodeError as error:
            line = error.object[: error.start].count(b"\n") + 1
            raise ConfigError(
                f"{path}: line {line}: not UTF-8 (byte 0x{error.object[error.start]:02x}); "
                "save the file as UTF-8"
            ) from None
        data = merge(data, read_yaml_text(text, source))
    for name, (section, key) in ENVIRONMENT.items():
        if environ is not None and name in environ:
            data.setdefault(section, {})[key] = environ[name]
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe(error, source)) from None


def read_yaml_text(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    return data


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of mappings; lists and scalars in `override` replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def describe(error: ValidationError, source: str) -> str:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        reason = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            reason = "unknown key"
        lines.append(f"{source}: {key}: {reason}")
    return "\n".join(lines)


def shipped_file(path: Path) -> Path:
    """A configured file; a relative path missing here falls back to the one Vigil ships."""
    if path.exists() or path.is_absolute():
        return path
    return Path(str(resources.files("config").joinpath(path.name)))
