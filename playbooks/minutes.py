"""The biên bản (Law 91/2025 Art 23(2)): the breach record as a readable Vietnamese document.

Each entry of the hash chain becomes a dated line in Hanoi time that says what happened,
in Vietnamese with English below; recipients are named by role and customer id, never by
address. Kinds this module does not know are still printed, field by field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.events import parse_time
from monitor.organisation_settings import OrganisationSettings
from playbooks.breach import Breach
from playbooks.evidence import Line
from playbooks.view import Moment

Entry = Mapping[str, Any]
ROLES = {
    "authority": ("cơ quan chức năng", "the authority"),
    "dpo": ("cán bộ phụ trách bảo vệ dữ liệu", "the data-protection officer"),
    "reminder": ("người nhận lời nhắc", "a reminder's recipient"),
}
SCOPES = {"authority": ("thông báo cơ quan chức năng", "the authority notice")}
OUTCOMES = {
    "sent": ("Đã gửi thông báo tới {who}", "Notice sent to {who}"),
    "retrying": ("Gửi thông báo tới {who} chưa được, sẽ gửi lại", "Send to {who} failed, retrying"),
    "dead": ("Không gửi được thông báo tới {who}", "Notice to {who} could not be delivered"),
}


@dataclass(frozen=True, slots=True)
class Minute:
    """One entry of the record as printed."""

    seq: int
    at: Moment | None
    what: Line
    digest: str


def recipient(key: str) -> tuple[str, str]:
    """breach:ID:customer:C-1 -> 'khách hàng C-1'; a draft's signer by role; the role for
    anyone else."""
    parts = key.split(":")
    if len(parts) >= 4 and parts[2] == "customer":
        return f"khách hàng {parts[3]}", f"customer {parts[3]}"
    if len(parts) >= 6 and parts[2] == "draft":
        who_vi, who_en = ROLES.get(parts[5], (parts[5], parts[5]))
        return f"{who_vi} (bản dự thảo Mẫu số 08 để ký)", f"{who_en} (Form 08 draft for signature)"
    return ROLES.get(parts[2] if len(parts) > 2 else "", (key, key))


def plain_fields(data: Mapping[str, Any]) -> str:
    """Any entry's data as 'name: value' pairs, lists joined, nothing escaped."""
    shown = []
    for name, value in data.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value[:20]) + (" …" if len(value) > 20 else "")
        shown.append(f"{name}: {value}")
    return "; ".join(shown)


def described(kind: str, data: Mapping[str, Any]) -> Line:
    """What an entry records, in words."""
    by = str(data.get("by", ""))
    if kind == "declared":
        incidents = ", ".join(str(i) for i in data.get("incidents", []))
        return Line(
            f"Khai báo vi phạm bởi {by}: “{data.get('summary', '')}”; sự cố {incidents}",
            f"Breach declared by {by}: “{data.get('summary', '')}”; incidents {incidents}",
        )
    if kind == "incidents-attached":
        incidents = ", ".join(str(i) for i in data.get("incidents", []))
        phase = data.get("phase", "")
        return Line(
            f"Bổ sung sự cố {incidents} (giai đoạn {phase}) bởi {by}",
            f"Incidents {incidents} attached (phase {phase}) by {by}",
        )
    if kind == "late-reason":
        reason = data.get("reason", "")
        return Line(
            f"Ghi nhận lý do thông báo chậm bởi {by}: {reason}",
            f"Late reason recorded by {by}: {reason}",
        )
    if kind == "approved":
        vi, en = SCOPES.get(str(data.get("scope")), ("mọi thông báo", "every notice"))
        return Line(f"{by} phê duyệt {vi}", f"{by} approved {en}")
    if kind == "notice-rendered":
        phase, digest = data.get("phase", ""), str(data.get("sha256", ""))[:12]
        if data.get("recipient") == "draft for signature":
            return Line(
                f"Lập bản dự thảo Mẫu số 08 để ký (giai đoạn {phase}, SHA-256 {digest}…)",
                f"Form 08 drafted for signature (phase {phase}, SHA-256 {digest}…)",
            )
        return Line(
            f"Lập thông báo gửi cơ quan chức năng (Mẫu số 08, giai đoạn {phase}, "
            f"SHA-256 {digest}…)",
            f"Form 08 rendered for the authority (phase {phase}, SHA-256 {digest}…)",
        )
    return described_more(kind, data)


def described_more(kind: str, data: Mapping[str, Any]) -> Line:
    by = str(data.get("by", ""))
    if kind == "authority-filed":
        phase, reference = data.get("phase", ""), data.get("reference", "")
        when = Moment(parse_time(str(data.get("filed_at"))))
        late_vi, late_en = ("", "") if data.get("on_time") else (" (quá hạn)", " (late)")
        return Line(
            f"{by} ghi nhận đã nộp Mẫu số 08 giai đoạn {phase} cho cơ quan chức năng lúc "
            f"{when.vi}{late_vi}, số/mã tham chiếu {reference}",
            f"{by} recorded Form 08 phase {phase} filed with the authority on {when.en}"
            f"{late_en}, reference {reference}",
        )
    if kind == "discovery":
        when = Moment(parse_time(str(data.get("detected_at"))))
        reason = data.get("reason", "")
        return Line(
            f"{by} ghi nhận thời điểm phát hiện sớm hơn: {when.vi} ({reason})",
            f"{by} recorded an earlier discovery: {when.en} ({reason})",
        )
    if kind == "confirmed":
        return Line(
            f"{by} xác nhận vi phạm dù không có khách hàng bị ảnh hưởng",
            f"{by} confirmed the breach although it names no customer",
        )
    if kind == "withdrawn":
        reason = data.get("reason", "")
        return Line(
            f"{by} rút lại khai báo vi phạm: {reason}", f"{by} withdrew the breach: {reason}"
        )
    if kind == "notices-rendered":
        notices = data.get("notices", [])
        warned = sum(1 for n in notices if n.get("warning"))
        note_vi = f", {warned} thông báo dùng ngôn ngữ dự phòng" if warned else ""
        note_en = f", {warned} in the fallback language" if warned else ""
        return Line(
            f"Lập {len(notices)} thông báo cho khách hàng{note_vi}",
            f"{len(notices)} customer notices rendered{note_en}",
        )
    if kind == "unreachable":
        lost = len(data.get("no_safe_address", []))
        unknown = len(data.get("not_in_directory", []))
        parts_vi = [f"{lost} khách hàng không có địa chỉ email an toàn"] * bool(lost)
        parts_vi += [f"{unknown} mã khách hàng không có trong danh bạ"] * bool(unknown)
        parts_en = [f"{lost} customers without a safe email address"] * bool(lost)
        parts_en += [f"{unknown} customer ids not in the directory"] * bool(unknown)
        return Line(
            f"{', '.join(parts_vi)}: liên hệ qua điện thoại và đăng thông báo công khai",
            f"{', '.join(parts_en)}: call them and publish the public notice",
        )
    if kind == "reminder":
        hours = data.get("hours", "")
        return Line(
            f"Nhắc hạn {hours} giờ sau khi phát hiện", f"Reminder {hours} h after detection"
        )
    if kind.startswith("notice-") and kind[7:] in OUTCOMES:
        vi, en = OUTCOMES[kind[7:]]
        who_vi, who_en = recipient(str(data.get("key", "")))
        return Line(vi.format(who=who_vi), en.format(who=who_en))
    fields = plain_fields(data)
    return Line(f"{kind}: {fields}", f"{kind}: {fields}")


def moment(entry: Entry) -> Moment | None:
    try:
        return Moment(parse_time(str(entry.get("at", ""))))
    except ValueError:
        return None


def minutes(entries: Sequence[Entry]) -> list[Minute]:
    return [
        Minute(
            int(entry.get("seq", n)),
            moment(entry),
            described(str(entry.get("kind", "")), entry.get("data") or {}),
            str(entry.get("hash", "")),
        )
        for n, entry in enumerate(entries, 1)
    ]


@dataclass(frozen=True, slots=True)
class Minutes:
    """The biên bản: the breach, the organisation, each entry, and whether the chain holds."""

    breach: Breach
    organisation: OrganisationSettings
    lines: tuple[Minute, ...]
    problems: tuple[str, ...]

    @property
    def occurred(self) -> Moment:
        return Moment(self.breach.occurred_at)

    @property
    def detected(self) -> Moment:
        return Moment(self.breach.detected_at)

    @property
    def head(self) -> str:
        return self.lines[-1].digest if self.lines else ""


def record_minutes(
    breach: Breach,
    organisation: OrganisationSettings,
    entries: Sequence[Entry],
    problems: Sequence[str],
) -> Minutes:
    return Minutes(breach, organisation, tuple(minutes(entries)), tuple(problems))


def record_html(minutes: Minutes) -> str:
    """The printable biên bản (A4)."""
    from playbooks.notices import ENVIRONMENT  # the notices' templates, escaping included

    return ENVIRONMENT.get_template("record.html.j2").render(m=minutes)
