"""One customer's notice as sentences: their story told in Vietnamese and English.

Decree 356 Art 29(2) is the content model: how and when it was found, what of theirs,
the risks, what ALS did and will do, what they can do, whom to contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.organisation_settings import OrganisationSettings
from playbooks.acts import Harm
from playbooks.datatypes import DataType
from playbooks.evidence import Line
from playbooks.harms import advice, risks
from playbooks.stories import Story
from playbooks.view import BreachView, Moment

WHAT = {
    Harm.EXPORTED: (
        "hồ sơ khách hàng của quý khách nằm trong dữ liệu đã bị {who} xuất (trích xuất) trái "
        "phép ra khỏi hệ thống của ALS",
        "your customer record was in data that {who} exported from ALS's systems without "
        "authorisation",
    ),
    Harm.ACCOUNT: (
        "{who} đã đăng nhập trái phép vào tài khoản ALS của quý khách",
        "{who} signed in to your ALS account without authorisation",
    ),
    Harm.ACTED_AS: (
        "{who} đã thao tác trong tài khoản của quý khách khi quý khách không yêu cầu hỗ trợ",
        "{who} acted in your account although you had not asked for support",
    ),
    Harm.READ: (
        "hồ sơ khách hàng của quý khách đã bị {who} xem khi không có nhu cầu công việc",
        "your customer record was viewed by {who} without a business need",
    ),
    Harm.TARGETED: (
        "{who} đã nhiều lần thử đăng nhập vào tài khoản ALS của quý khách bằng cách dò mật khẩu",
        "{who} repeatedly tried to sign in to your ALS account by guessing its password",
    ),
    Harm.SERVER: (
        "máy chủ lưu trữ thông tin khách hàng của ALS bị {who} tấn công và thông tin của quý "
        "khách có thể đã bị truy cập",
        "{who} attacked the ALS server that holds customer information, and your information "
        "may have been accessed",
    ),
}
# The public notice (Decree 356 Art 29(3)) speaks of some customers, never of one.
PUBLIC = {
    Harm.EXPORTED: (
        "hồ sơ của một số khách hàng nằm trong dữ liệu đã bị {who} xuất trái phép khỏi hệ thống "
        "của ALS",
        "some customers' records were in data that {who} exported from ALS's systems without "
        "authorisation",
    ),
    Harm.ACCOUNT: (
        "{who} đã đăng nhập trái phép vào tài khoản ALS của một số khách hàng",
        "{who} signed in to some customers' ALS accounts without authorisation",
    ),
    Harm.ACTED_AS: (
        "{who} đã thao tác trong tài khoản của một số khách hàng khi họ không yêu cầu hỗ trợ",
        "{who} acted in some customers' accounts although they had not asked for support",
    ),
    Harm.READ: (
        "hồ sơ của một số khách hàng đã bị {who} xem khi không có nhu cầu công việc",
        "some customers' records were viewed by {who} without a business need",
    ),
    Harm.TARGETED: (
        "{who} đã nhiều lần thử đăng nhập vào tài khoản ALS của một số khách hàng",
        "{who} repeatedly tried to sign in to some customers' ALS accounts",
    ),
    Harm.SERVER: WHAT[Harm.SERVER],
}
WHO = {
    False: ("một người ngoài ALS", "someone outside ALS"),
    True: ("một nhân viên của ALS", "an ALS employee"),
}


@dataclass(frozen=True, slots=True)
class Letter:
    """Everything one notice says, in both languages; the templates only lay it out."""

    dated: Moment
    happened: tuple[Line, ...]
    found: Line
    types: tuple[DataType, ...]
    risks: tuple[Line, ...]
    done: tuple[Line, ...]
    will: tuple[Line, ...]
    advice: tuple[Line, ...]
    authority: Line
    contact: Line


def span(first: datetime, last: datetime) -> Line:
    start, end = Moment(first), Moment(last)
    if end.local.replace(second=0, microsecond=0) == start.local.replace(second=0, microsecond=0):
        return Line(f"Lúc {start.vi}", f"On {start.en}")
    return Line(f"Từ {start.vi} đến {end.vi}", f"Between {start.en} and {end.en}")


def happened(story: Story, public: bool = False) -> tuple[Line, ...]:
    when = span(story.first_at, story.last_at)
    who_vi, who_en = WHO[story.by_staff]
    lines = []
    for harm in story.harms:
        vi, en = (PUBLIC if public else WHAT)[harm]
        lines.append(Line(vi.format(who=who_vi), en.format(who=who_en)))
    first, *rest = lines
    first = Line(f"{when.vi} (giờ Hà Nội), {first.vi}.", f"{when.en} (Hanoi time), {first.en}.")
    more = [Line(f"Ngoài ra, {line.vi}.", f"Also, {line.en}.") for line in rest]
    return (first, *more)


def contact(organisation: OrganisationSettings) -> Line:
    """The hotline and the section 8 address; the officer's email when there is one."""
    hotline = organisation.hotline or organisation.phone
    vi = f"Đường dây nóng {hotline}; {organisation.head_office or organisation.head_office_en}."
    en = f"Hotline {hotline}; {organisation.head_office_en or organisation.head_office}."
    if organisation.officer.email:
        vi += f" Bộ phận bảo vệ dữ liệu cá nhân: {organisation.officer.email}."
        en += f" Data protection: {organisation.officer.email}."
    return Line(vi, en)


def letter(
    view: BreachView,
    story: Story,
    email_changed: bool,
    authority: Line,
    organisation: OrganisationSettings,
    public: bool = False,
) -> Letter:
    harms = set(story.harms)
    return Letter(
        dated=view.dated,
        happened=happened(story, public),
        found=Line(
            f"Hệ thống giám sát an ninh của ALS phát hiện sự việc lúc {view.detected.vi} "
            "(giờ Hà Nội).",
            f"ALS's security monitoring detected it on {view.detected.en} (Hanoi time).",
        ),
        types=story.types,
        risks=risks(story.keys, harms, [t for t in story.types if t.outside_policy]),
        done=(
            Line(
                "Điều tra sự việc, lập hồ sơ vi phạm và ghi nhận từng bước xử lý.",
                "Investigated what happened, opened a breach file and recorded every step.",
            ),
        ),
        will=(
            Line(
                "Tiếp tục giám sát hệ thống và thông báo thêm cho quý khách nếu có thông tin mới "
                "liên quan đến quý khách.",
                "Keep monitoring our systems and write to you again if we learn more that "
                "concerns you.",
            ),
        ),
        advice=advice(harms, story.keys, email_changed),
        authority=authority,
        contact=contact(organisation),
    )
