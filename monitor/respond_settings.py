"""Settings of the respond side: on-call alerting, the outbox, the breach playbook, the web
pages and the mail server (the sections `alerts`, `outbox`, `breach`, `web`, `dashboard`,
`smtp` of the configuration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, Field, IPvAnyNetwork, SecretStr

from monitor.config_types import Duration, Section


class OverrideSettings(Section):
    user: str
    start: AwareDatetime
    end: AwareDatetime


class RotationSettings(Section):
    """Weekly (or any period) rotation; empty members: the staff directory's on_call flags."""

    members: tuple[str, ...] = ()
    start: AwareDatetime = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hanoi
    period: Duration = timedelta(days=7)
    overrides: tuple[OverrideSettings, ...] = ()


class EscalationLevel(Section):
    after: Duration
    notify: tuple[str, ...]


class EscalationSettings(Section):
    levels: tuple[EscalationLevel, ...] = (
        EscalationLevel(after=timedelta(0), notify=("oncall",)),
        EscalationLevel(after=timedelta(minutes=15), notify=("backup",)),
        EscalationLevel(after=timedelta(minutes=30), notify=("head_of_internal_control",)),
    )
    loops: int = Field(default=2, ge=1, le=10)
    loop_interval: Duration = timedelta(minutes=15)


class WebhookSettings(Section):
    url: str
    secret: SecretStr
    min_severity: str = "medium"


class AlertSettings(Section):
    public_url: str = "http://127.0.0.1:8700"
    group_wait: Duration = timedelta(seconds=30)
    repeat_interval: Duration = timedelta(hours=4)
    page_min_severity: str = "medium"
    digest_at: str = Field(default="08:00", pattern=r"^\d{2}:\d{2}$")
    digest_to: tuple[str, ...] = ("oncall",)
    ack_link_ttl: Duration = timedelta(hours=24)
    # Detection this far behind the logs e-mails the person on call (at most once an hour).
    lag_bound: Duration = timedelta(seconds=60)
    rotation: RotationSettings = RotationSettings()
    escalation: EscalationSettings = EscalationSettings()
    webhooks: tuple[WebhookSettings, ...] = ()


class OutboxSettings(Section):
    max_attempts: int = Field(default=8, ge=1)
    backoff: Duration = timedelta(seconds=30)
    max_backoff: Duration = timedelta(hours=1)
    lease: Duration = timedelta(minutes=2)
    retention: Duration = timedelta(days=30)
    rate_per_second: float = Field(default=50.0, gt=0)


class ContactSettings(Section):
    name: str = "Le Van Quang"
    title: str = "Head of Internal Control, data-protection officer"
    phone: str = "0912000104"
    email: str = "quang.le@als.com.vn"


class BreachSettings(Section):
    dpo: ContactSettings = ContactSettings()
    # draft: Form 08 goes to the officer for signature, and the filing is recorded by hand;
    # email: the form is also e-mailed to authority_email (only once it can go out signed);
    # signed-email: the form is signed with the `signing` key (PAdES) and e-mailed to
    # authority_email, a copy to the officer; a key that fails falls back to the draft.
    authority_delivery: str = Field(default="draft", pattern=r"^(draft|email|signed-email)$")
    authority_email: str = "a05@bocongan.gov.vn"
    authority_name: str = "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05)"
    authority_name_en: str = (
        "Department of Cybersecurity and High-Tech Crime Prevention (A05), "
        "Ministry of Public Security"
    )
    deadline: Duration = timedelta(hours=72)
    reminders: tuple[Duration, ...] = (
        timedelta(hours=24),
        timedelta(hours=48),
        timedelta(hours=60),
        timedelta(hours=70),
    )
    remind: tuple[str, ...] = ("head_of_internal_control",)
    require_approval: str = Field(default="none", pattern=r"^(none|authority|all)$")
    retention: Duration = timedelta(days=5 * 365)
    auto_declare_families: tuple[str, ...] = ("bulk_access",)
    auto_declare_min_customers: int = Field(default=100, ge=1)
    auto_declare_delay: Duration = timedelta(minutes=5)  # related incidents join one breach
    record_key: SecretStr | None = None  # VIGIL_RECORD_KEY; unset: var/breach/record.key


class WebSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=0, le=65535)
    secret_key: SecretStr | None = None
    secure_cookies: bool = False  # true behind the TLS reverse proxy


class DashboardSettings(Section):
    """What the dashboard trusts: the reverse proxies whose X-Forwarded-For names the client
    (addresses or networks); the client address counts login failures and fills the audit."""

    trusted_proxies: tuple[IPvAnyNetwork, ...] = ()


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    tls: bool = False
    sender: str = "vigil@als.com.vn"
    timeout: Duration = timedelta(seconds=30)
