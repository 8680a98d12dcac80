"""Form 08 (Decree 356/2025 Art 28): every field, built from the evidence and the playbook's work.

The builder only gathers facts; `templates/authority.html.j2` prints them on A4 and
`playbooks.pdf` draws the same facts as a PDF for signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.directory import StaffMember
from monitor.incidents import Incident, Status
from monitor.organisation_settings import OrganisationSettings
from monitor.respond_settings import BreachSettings
from playbooks.acts import describe, records_in
from playbooks.customers import Affected
from playbooks.datatypes import DataType, ordered
from playbooks.evidence import Line, Locate, nowhere, parties, places
from playbooks.harms import consequences, exposed_types
from playbooks.view import BreachView, Moment, site_of


@dataclass(frozen=True, slots=True)
class Form08:
    """What the printed form says, field by field (research/regulatory.md §6A)."""

    breach_id: str
    organisation: OrganisationSettings
    authority: Line
    number: str  # the register's number once filed; "" prints a blank to fill
    year: int
    phase: int
    first_notice: tuple[str, str]  # (number, date) of the initial notice, for a follow-up
    changes: tuple[Line, ...]
    occurred: Moment
    detected: Moment
    places: tuple[Line, ...]
    acts: tuple[Line, ...]
    parties: tuple[Line, ...]
    data_types: tuple[DataType, ...]
    subjects: int
    subjects_unlisted: int  # of them, not in the customer directory
    records: int
    consequences: tuple[Line, ...]
    measures_done: tuple[Line, ...]
    measures_planned: tuple[Line, ...]
    attachments: tuple[Line, ...]
    late_reason: str
    blanks: tuple[str, ...]  # organisation fields nobody configured

    @property
    def code(self) -> str:
        return f"TB-{self.organisation.short_name}" if self.organisation.short_name else "TB"


@dataclass(frozen=True, slots=True)
class Parties:
    """Who was affected and who may have acted: the customers and the staff directory."""

    found: Sequence[Affected]
    unknown: Sequence[str]
    staff: Mapping[str, StaffMember]


def build(
    view: BreachView,
    organisation: OrganisationSettings,
    settings: BreachSettings,
    incidents: Sequence[Incident],
    people: Parties,
    locate: Locate = nowhere,
) -> Form08:
    subjects = len(people.found) + len(people.unknown) + max(0, unlisted(incidents))
    types = ordered(exposed_types(incidents))
    return Form08(
        breach_id=view.id,
        organisation=organisation,
        authority=Line(settings.authority_name, settings.authority_name_en),
        number=view.number,
        year=view.today.year,
        phase=view.phase,
        first_notice=(view.first_notice_number, view.first_notice_date),
        changes=changes(view, incidents, subjects),
        occurred=view.occurred,
        detected=view.detected,
        places=places(incidents, site_of(organisation)),
        acts=tuple(Line(*describe(i)) for i in incidents),
        parties=parties(incidents, people.staff, locate),
        data_types=types,
        subjects=subjects,
        subjects_unlisted=subjects - len(people.found),
        records=max(subjects, sum(records_in(i) for i in incidents)),
        consequences=consequences(types, incidents),
        measures_done=measures_done(view, incidents, people),
        measures_planned=measures_planned(view, people, settings),
        attachments=attachments(view, incidents),
        late_reason=view.late_reason,
        blanks=organisation.blanks(),
    )


def unlisted(incidents: Sequence[Incident]) -> int:
    """Customers an incident counts but does not list by id (a large export names the first)."""
    return max((i.affected_count - len(set(i.affected_customers)) for i in incidents), default=0)


def changes(view: BreachView, incidents: Sequence[Incident], subjects: int) -> tuple[Line, ...]:
    """What a follow-up adds to the notices before it."""
    if view.phase == 1:
        return ()
    lines = []
    if view.previous_subjects is not None and view.previous_subjects != subjects:
        lines.append(
            Line(
                f"Số chủ thể dữ liệu bị ảnh hưởng thay đổi từ {view.previous_subjects} "
                f"lên {subjects}.",
                f"The number of data subjects affected changed from {view.previous_subjects} "
                f"to {subjects}.",
            )
        )
    fresh = [i for i in incidents if i.id in view.new_incidents]
    for vi, en in (describe(i) for i in fresh):
        lines.append(Line(f"Hành vi mới được xác định: {vi}.", f"Newly established act: {en}."))
    if not lines:
        lines.append(Line("Cập nhật thông tin xử lý.", "An update on the handling."))
    return tuple(lines)


def measures_done(
    view: BreachView, incidents: Sequence[Incident], people: Parties
) -> tuple[Line, ...]:
    handled = sum(1 for i in incidents if i.status is not Status.OPEN)
    closed = sum(1 for i in incidents if i.status is Status.RESOLVED)
    lines = [
        Line(
            f"Phát hiện qua hệ thống giám sát an ninh lúc {view.detected.vi}; lập hồ sơ vi phạm "
            f"{view.id} và biên bản ghi nhận từng bước xử lý.",
            f"Detected by security monitoring on {view.detected.en}; opened breach file "
            f"{view.id} and a record of every step taken.",
        ),
        Line(
            f"{handled}/{len(incidents)} sự cố đã được tiếp nhận điều tra, {closed} đã xử lý xong.",
            f"{handled} of {len(incidents)} incidents taken up for investigation, {closed} closed.",
        ),
    ]
    if view.authority_notified_at is not None and view.phase > 1:
        when = Moment(view.authority_notified_at)
        reference = (
            f" (số tham chiếu {view.authority_reference})" if view.authority_reference else ""
        )
        reference_en = (
            f" (reference {view.authority_reference})" if view.authority_reference else ""
        )
        lines.append(
            Line(
                f"Đã gửi thông báo ban đầu cho cơ quan chức năng lúc {when.vi}{reference}.",
                f"Initial notice filed with the authority on {when.en}{reference_en}.",
            )
        )
    if view.customers_sent:
        lines.append(
            Line(
                f"Đã gửi thông báo qua email cho {view.customers_sent} khách hàng bị ảnh hưởng.",
                f"Notice sent by email to {view.customers_sent} affected customers.",
            )
        )
    return tuple(lines)


def measures_planned(
    view: BreachView, people: Parties, settings: BreachSettings
) -> tuple[Line, ...]:
    reachable = sum(1 for a in people.found if a.address is not None)
    unreachable = len(people.found) - reachable
    lines = []
    if reachable > view.customers_sent:
        left = reachable - view.customers_sent
        lines.append(
            Line(
                f"Gửi thông báo riêng qua email cho {left} khách hàng bị ảnh hưởng.",
                f"Send an individual notice by email to {left} affected customers.",
            )
        )
    if unreachable:
        lines.append(
            Line(
                f"Đăng thông báo công khai trên website (Điều 29 khoản 3 Nghị định 356/2025/NĐ-CP) "
                f"và liên hệ qua điện thoại với {unreachable} khách hàng không gửi được email.",
                f"Publish a public notice on the website (Decree 356/2025 Art 29(3)) and call "
                f"the {unreachable} customers who cannot be emailed.",
            )
        )
    if people.unknown:
        lines.append(
            Line(
                f"Xác minh {len(people.unknown)} mã khách hàng có trong bằng chứng nhưng không có "
                "trong danh bạ khách hàng, để thông báo cho họ.",
                f"Trace the {len(people.unknown)} customer ids in the evidence that are missing "
                "from the customer directory, to notify them.",
            )
        )
    years = settings.retention.days // 365
    lines += [
        Line(
            "Gửi thông báo bổ sung khi xác định thêm thông tin.",
            "Send a follow-up notice as further facts are established.",
        ),
        Line(
            f"Lưu hồ sơ vi phạm ít nhất {years} năm kể từ khi khắc phục.",
            f"Keep the breach file for at least {years} years after the remedy.",
        ),
    ]
    return tuple(lines)


def attachments(view: BreachView, incidents: Sequence[Incident]) -> tuple[Line, ...]:
    """Only what goes with this notice (the flow says which)."""
    head = f", mã băm cuối {view.record_head[:16]}…" if view.record_head else ""
    head_en = f", head hash {view.record_head[:16]}…" if view.record_head else ""
    known = {
        "record": Line(
            f"Biên bản xác nhận về việc xảy ra vi phạm (hồ sơ {view.id}, "
            f"{view.record_entries} mục{head})",
            f"Record confirming the violation (file {view.id}, {view.record_entries} entries"
            f"{head_en})",
        ),
        "evidence": Line(
            f"Tóm tắt bằng chứng: {len(incidents)} sự cố",
            f"Evidence summary: {len(incidents)} incidents",
        ),
    }
    return tuple(known[name] for name in view.attachments if name in known)
