"""The notices: one to the authority (Form 08, Vietnamese with English), one per customer."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.incidents import Incident
from monitor.settings import BreachSettings
from playbooks.customers import LABELS, Affected, Category

ENVIRONMENT = Environment(
    loader=PackageLoader("playbooks", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    keep_trailing_newline=True,
)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CUSTOMER_SUBJECT = "Thông báo sự cố dữ liệu / Notice of Data Breach - ALS"
ORDER = list(Category)


@dataclass(frozen=True, slots=True)
class Notice:
    """A rendered notice: what is sent, and its hash for the breach record."""

    subject: str
    text: str
    html: str
    language: str
    attachment: str = ""

    @property
    def digest(self) -> str:
        content = "\x00".join((self.subject, self.text, self.html, self.attachment))
        return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BreachView:
    """The facts every notice of one breach shares."""

    id: str
    summary: str
    occurred_at: datetime
    detected_at: datetime

    @property
    def occurred_vi(self) -> str:
        return self.occurred_at.astimezone(HANOI).strftime("%H:%M ngày %d/%m/%Y")

    @property
    def detected_vi(self) -> str:
        return self.detected_at.astimezone(HANOI).strftime("%H:%M ngày %d/%m/%Y")

    @property
    def occurred_en(self) -> str:
        return self.occurred_at.astimezone(HANOI).strftime("%d %B %Y at %H:%M")

    @property
    def detected_en(self) -> str:
        return self.detected_at.astimezone(HANOI).strftime("%d %B %Y at %H:%M")


def authority_lines(
    settings: BreachSettings, notified_at: datetime | None, due: datetime
) -> tuple[str, str]:
    name = settings.authority_name
    if notified_at is not None:
        when = notified_at.astimezone(HANOI)
        return (
            f"Chúng tôi đã thông báo cho {name} lúc {when:%H:%M ngày %d/%m/%Y}.",
            f"We notified {name} on {when:%d %B %Y at %H:%M}.",
        )
    by = due.astimezone(HANOI)
    return (
        f"Chúng tôi đang thông báo cho {name}, chậm nhất {by:%H:%M ngày %d/%m/%Y}.",
        f"We are notifying {name}, by {by:%d %B %Y at %H:%M} at the latest.",
    )


def customer_notice(
    view: BreachView, affected: Affected, settings: BreachSettings, authority: tuple[str, str]
) -> Notice:
    """Vietnamese by default; English for `en`; Vietnamese first, then English, for `mixed`."""
    ordered = sorted(affected.categories, key=ORDER.index)
    context = {
        "b": view,
        "c": affected.customer,
        "company": settings.company,
        "dpo": settings.dpo,
        "authority_vi": authority[0],
        "authority_en": authority[1],
        "categories_vi": [LABELS[c][0] for c in ordered],
        "categories_en": [LABELS[c][1] for c in ordered],
    }
    language = affected.customer.language if affected.customer.language in ("en", "mixed") else "vi"
    languages = {"vi": ["vi"], "en": ["en"], "mixed": ["vi", "en"]}[language]
    parts = [
        {"lang": lang, "text": ENVIRONMENT.get_template(f"customer_{lang}.txt.j2").render(context)}
        for lang in languages
    ]
    text = "\n----------------------------------------\n\n".join(p["text"] for p in parts)
    html = ENVIRONMENT.get_template("customer.html.j2").render(
        parts=parts, subject=CUSTOMER_SUBJECT
    )
    return Notice(CUSTOMER_SUBJECT, text, html, language)


def authority_notice(
    view: BreachView,
    settings: BreachSettings,
    incidents: Sequence[Incident],
    affected: Sequence[Affected],
    phase: int,
    late_reason: str,
    record: tuple[int, str],
    today: datetime,
) -> Notice:
    """Form 08 as a printable document, and the cover email around it."""
    exposed = sorted({c for a in affected for c in a.categories}, key=ORDER.index)
    context = {
        "b": view,
        "company": settings.company,
        "dpo": settings.dpo,
        "authority_name": settings.authority_name,
        "number": f"{view.id}/{phase:02d}",
        "today": today.astimezone(HANOI).strftime("%d/%m/%Y"),
        "phase_vi": "Thông báo ban đầu" if phase == 1 else f"Thông báo bổ sung lần {phase - 1}",
        "phase_en": "initial notice" if phase == 1 else f"follow-up {phase - 1}",
        "places": sorted(
            {
                str(r.get("id", "")).rpartition(":")[0] or "-"
                for i in incidents
                for r in i.evidence[:20]
            }
        )
        or ["-"],
        "acts": [i.title for i in incidents],
        "sources": sorted({i.entities["ip"] for i in incidents if "ip" in i.entities}),
        "categories": [LABELS[c] for c in exposed],
        "subjects": len(affected),
        "records": max(len(affected), records_in(incidents)),
        "late_reason": late_reason,
        "record_entries": record[0],
        "record_head": record[1],
        "incident_count": len(incidents),
    }
    document = ENVIRONMENT.get_template("authority.html.j2").render(context)
    subject = (
        f"[{view.id}] Thông báo vi phạm bảo vệ dữ liệu cá nhân (Mẫu số 08) - {phase_label(phase)}"
    )
    text = (
        f"Kính gửi {settings.authority_name},\n\n{settings.company.name} gửi kèm Thông báo "
        f"vi phạm quy định về bảo vệ dữ liệu cá nhân (Mẫu số 08), {context['phase_vi']}.\n"
        f"Số chủ thể dữ liệu bị ảnh hưởng: {len(affected)}. Phát hiện lúc {view.detected_vi}."
        f"\n\nAttached: Form 08 notice of a personal data protection violation "
        f"({context['phase_en']}), {len(affected)} data subjects, detected "
        f"{view.detected_en} (Hanoi time).\n\nLiên hệ / Contact: {settings.dpo.name}, "
        f"{settings.dpo.phone}, {settings.dpo.email}\n"
    )
    if late_reason:
        text += f"\nLý do thông báo chậm / Reason for the late notice: {late_reason}\n"
    return Notice(subject, text, "", "vi+en", document)


def records_in(incidents: Sequence[Incident]) -> int:
    total = 0
    for incident in incidents:
        for reference in incident.evidence:
            count = reference.get("labels.record_count")
            if isinstance(count, int | str) and str(count).isdigit():
                total += int(count)
    return total


def phase_label(phase: int) -> str:
    return "ban đầu / initial" if phase == 1 else f"bổ sung {phase - 1} / follow-up {phase - 1}"
