"""Customers no email can reach: the public notice for the website (Decree 356 Art 29(3)), and
the list customer care calls from.

The public notice names nobody: it tells what happened to some customers, what data, the
risks, the measures and the advice, and asks anyone unsure to call the hotline.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.events import parse_time
from monitor.organisation_settings import OrganisationSettings
from playbooks.acts import Harm
from playbooks.customers import Affected
from playbooks.datatypes import ordered
from playbooks.evidence import Line
from playbooks.letter import letter
from playbooks.notices import ENVIRONMENT, SEPARATOR, Notice, html_of
from playbooks.safety import one_line
from playbooks.stories import Stories, Story
from playbooks.view import BreachView

PUBLIC_TITLE = "Thông báo về sự cố dữ liệu cá nhân / Notice of a personal data breach - ALS"
REASONS = {
    "no_address": ("không có địa chỉ email", "no email address"),
    "changed": (
        "email bị kẻ tấn công thay đổi, không có địa chỉ trước đó",
        "email changed by the attacker, no previous address",
    ),
    "invalid": ("địa chỉ email không hợp lệ", "invalid email address"),
    "bounced": ("thư bị trả lại", "the notice bounced"),
    "unknown": ("không có trong danh bạ khách hàng", "not in the customer directory"),
}


@dataclass(frozen=True, slots=True)
class CareRow:
    """One customer for customer care to call; the reason no email reached them."""

    customer_id: str
    full_name: str
    phone: str
    reason: str  # a key of REASONS


def reason_of(item: Affected, occurred_at: datetime, bounced: Collection[str]) -> str | None:
    customer = item.customer
    if customer.customer_id in bounced:
        return "bounced"
    if item.address is not None:
        return None
    if customer.email_changed_at and parse_time(customer.email_changed_at) >= occurred_at:
        return "changed"
    return "invalid" if customer.email.strip() else "no_address"


def care_list(
    found: Sequence[Affected],
    unknown: Sequence[str],
    occurred_at: datetime,
    bounced: Collection[str] = (),
) -> list[CareRow]:
    """Everyone the public notice stands in for, with the phone customer care calls."""
    rows = []
    for item in found:
        reason = reason_of(item, occurred_at, bounced)
        if reason is not None:
            customer = item.customer
            rows.append(
                CareRow(
                    customer.customer_id,
                    one_line(customer.full_name),
                    one_line(customer.phone, 40),
                    reason,
                )
            )
    rows += [CareRow(one_line(c, 80), "", "", "unknown") for c in unknown]
    return rows


def merged(stories: Stories, customer_ids: Sequence[str]) -> Story | None:
    """One story for the public: every harm, the whole span, every data type."""
    told = [s for s in (stories.of(c) for c in customer_ids) if s is not None]
    if not told:
        return None
    harms = {h for s in told for h in s.harms}
    return Story(
        tuple(h for h in Harm if h in harms),
        min(s.first_at for s in told),
        max(s.last_at for s in told),
        ordered(t for s in told for t in s.types),
        any(s.by_staff for s in told),
    )


def public_notice(
    view: BreachView,
    organisation: OrganisationSettings,
    stories: Stories,
    rows: Sequence[CareRow],
    authority: tuple[str, str],
) -> Notice | None:
    """The website text, Vietnamese then English; None when everyone was reached."""
    story = merged(stories, [r.customer_id for r in rows])
    if story is None:
        return None
    told = letter(view, story, False, Line(*authority), organisation, public=True)
    template = ENVIRONMENT.get_template("customer.txt.j2")
    context = {"letter": told, "organisation": organisation, "public": True}
    parts = [(lang, template.render(context, lang=lang)) for lang in ("vi", "en")]
    text = SEPARATOR.join(t for _, t in parts)
    return Notice(PUBLIC_TITLE, text, html_of(parts, PUBLIC_TITLE), "mixed")
