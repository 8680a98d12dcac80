"""The facts every document of one breach shares, as the flow knows them at rendering time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from monitor.organisation_settings import OrganisationSettings

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, slots=True)
class Moment:
    """A moment as the documents print it: Hanoi time, in both languages."""

    at: datetime

    @property
    def local(self) -> datetime:
        return self.at.astimezone(HANOI)

    @property
    def vi(self) -> str:
        return f"{self.local:%H:%M} ngày {self.local:%d/%m/%Y}"

    @property
    def en(self) -> str:
        return f"{self.local:%d %B %Y}, {self.local:%H:%M}"

    @property
    def date_vi(self) -> str:
        return f"{self.local:%d/%m/%Y}"

    @property
    def date_en(self) -> str:
        return f"{self.local:%d %B %Y}"


@dataclass(frozen=True, slots=True)
class BreachView:
    """The breach as the notices see it. Every field after the fourth has a default, so the
    flow can hand over what it knows (filing, sends, the record) and documents print it."""

    id: str
    summary: str
    occurred_at: datetime
    detected_at: datetime
    phase: int = 1
    rendered_at: datetime | None = None  # the notice's date; default: detected_at
    number: str = ""  # the notice's register number, once the officer has one
    first_notice_number: str = ""  # a follow-up cites the initial notice ...
    first_notice_date: str = ""  # ... and its date (dd/mm/yyyy)
    previous_subjects: int | None = None  # data subjects the previous phase reported
    new_incidents: tuple[str, ...] = ()  # incidents this phase adds
    authority_notified_at: datetime | None = None  # filed with (or sent to) the authority
    authority_reference: str = ""  # the authority's or the portal's reference
    customers_sent: int = 0  # customer notices already delivered
    record_entries: int = 0
    record_head: str = ""  # the record's head hash, quoted in every document
    attachments: tuple[str, ...] = ()  # what goes with Form 08: "record", "evidence"
    late_reason: str = ""

    @property
    def occurred(self) -> Moment:
        return Moment(self.occurred_at)

    @property
    def detected(self) -> Moment:
        return Moment(self.detected_at)

    @property
    def today(self) -> datetime:
        return (self.rendered_at or self.detected_at).astimezone(HANOI)

    @property
    def dated(self) -> Moment:
        return Moment(self.rendered_at or self.detected_at)


def site_of(organisation: OrganisationSettings) -> str:
    """The website as printed (its host name), or the organisation's short name."""
    host = urlsplit(organisation.website).hostname if organisation.website else None
    return host or organisation.short_name or "ALS"
