"""The notices: Form 08 to the authority (Vietnamese, English translation), one per customer."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import escape

from monitor.incidents import Incident
from monitor.organisation_settings import OrganisationSettings
from monitor.respond_settings import BreachSettings
from playbooks.customers import Affected
from playbooks.evidence import Line, Locate, nowhere
from playbooks.form08 import Form08, Parties, build
from playbooks.form08_text import pages
from playbooks.letter import letter
from playbooks.safety import language_of, one_line
from playbooks.stories import Stories, Story
from playbooks.view import BreachView, Moment

ENVIRONMENT = Environment(
    loader=PackageLoader("playbooks", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
CUSTOMER_SUBJECT = "Thông báo sự cố dữ liệu / Notice of Data Breach - ALS"
LANGUAGES = {"vi": ("vi",), "en": ("en",), "mixed": ("vi", "en")}
SEPARATOR = "\n----------------------------------------\n\n"

__all__ = ["BreachView", "Notice", "authority_lines", "authority_notice", "customer_notice"]


@dataclass(frozen=True, slots=True)
class Notice:
    """A rendered notice: what is sent, and its hash for the breach record."""

    subject: str
    text: str
    html: str
    language: str
    attachment: str = ""
    warning: str = ""  # e.g. the directory's language was unknown and a fallback was used

    @property
    def digest(self) -> str:
        content = "\x00".join((self.subject, self.text, self.html, self.attachment))
        return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph of a notice as HTML shows it: a heading, then runs of text or list items."""

    heading: str
    runs: tuple[tuple[str, tuple[str, ...]], ...]


def blocks(text: str) -> list[Block]:
    """The plain text's paragraphs; a first line followed by more is a heading (not a
    greeting or a closing, which end in a comma), lines starting "- " are list items."""
    found = []
    for paragraph in text.strip().split("\n\n"):
        lines = paragraph.split("\n")
        heading = ""
        if len(lines) > 1 and not lines[0].startswith("- ") and not lines[0].endswith(","):
            heading, lines = lines[0], lines[1:]
        runs: list[tuple[str, list[str]]] = []
        for line in lines:
            kind = "list" if line.startswith("- ") else "text"
            if not runs or runs[-1][0] != kind:
                runs.append((kind, []))
            runs[-1][1].append(line[2:] if kind == "list" else line)
        found.append(Block(heading, tuple((k, tuple(v)) for k, v in runs)))
    return found


def html_of(parts: Sequence[tuple[str, str]], subject: str) -> str:
    """The HTML alternative of a notice's (language, text) parts."""
    return ENVIRONMENT.get_template("customer.html.j2").render(
        parts=[{"lang": lang, "blocks": blocks(text)} for lang, text in parts], subject=subject
    )


def authority_lines(
    settings: BreachSettings, notified_at: datetime | None, due: datetime, now: datetime
) -> tuple[str, str]:
    """Whether and when the authority was told; a deadline only while it is still ahead."""
    name, name_en = settings.authority_name, settings.authority_name_en
    if notified_at is not None:
        when = Moment(notified_at)
        return (
            f"ALS đã thông báo cho {name} lúc {when.vi}.",
            f"ALS notified the {name_en} on {when.en}.",
        )
    if due > now:
        by = Moment(due)
        return (
            f"ALS sẽ thông báo cho {name} chậm nhất vào {by.vi}.",
            f"ALS will notify the {name_en} by {by.en} at the latest.",
        )
    return (
        f"ALS đang hoàn tất thông báo cho {name}.",
        f"ALS is completing its notice to the {name_en}.",
    )


# Stand-ins for a customer's own words in a shared rendering: private-use characters,
# which one_line removes from every directory value, so no name can forge one.
NAME, BUSINESS = "\ue000name\ue000", "\ue000business\ue000"


@dataclass(frozen=True, slots=True)
class Letters:
    """What every customer notice of one run shares: the breach, the stories, the contact.

    Customers with the same story, language and salutation share one rendering, into which
    each one's name goes: 100,000 notices of one export cost a few renderings, not 100,000.
    """

    view: BreachView
    organisation: OrganisationSettings
    stories: Stories
    authority: tuple[str, str]
    rendered: dict[tuple[object, ...], tuple[Pieces, Pieces]] = field(
        default_factory=dict, compare=False, hash=False
    )

    def render(
        self, story: Story, language: str, email_changed: bool, business: bool
    ) -> tuple[Pieces, Pieces]:
        """The text and HTML for one kind of customer, cut where the names go."""
        key = (story, language, email_changed, business)
        if key not in self.rendered:
            context = {
                "letter": letter(
                    self.view, story, email_changed, Line(*self.authority), self.organisation
                ),
                "name": NAME,
                "business": BUSINESS if business else "",
                "organisation": self.organisation,
            }
            template = ENVIRONMENT.get_template("customer.txt.j2")
            parts = [(lang, template.render(context, lang=lang)) for lang in LANGUAGES[language]]
            text = SEPARATOR.join(t for _, t in parts)
            self.rendered[key] = (pieces(text), pieces(html_of(parts, CUSTOMER_SUBJECT)))
        return self.rendered[key]


Pieces = tuple[str, ...]  # the rendering cut at the stand-ins, which stay as pieces of their own


def pieces(rendered: str) -> Pieces:
    return tuple(p for p in re.split(f"({NAME}|{BUSINESS})", rendered) if p)


def filled(cut: Pieces, name: str, business: str) -> str:
    """The stand-ins replaced in one pass (str.replace over the whole text cost more)."""
    return "".join(name if p == NAME else business if p == BUSINESS else p for p in cut)


def customer_notice(letters: Letters, affected: Affected) -> Notice:
    """The customer's own story, in their language (both, Vietnamese first, for `mixed`)."""
    customer = affected.customer
    story = letters.stories.of(customer.customer_id)
    if story is None:
        raise ValueError(f"no incident of this breach concerns {customer.customer_id}")
    language, warning = language_of(customer.language)
    email_changed = bool(customer.email_changed_at) and affected.address != customer.email
    name = one_line(customer.full_name) or one_line(customer.business_name)
    business = one_line(customer.business_name) if customer.full_name.strip() else ""
    text, html = letters.render(story, language, email_changed, bool(business))
    return Notice(
        CUSTOMER_SUBJECT,
        filled(text, name, business),
        filled(html, str(escape(name)), str(escape(business))),
        language,
        warning=warning,
    )
    return Notice(CUSTOMER_SUBJECT, text, html, language, warning=warning)


def authority_notice(
    view: BreachView,
    organisation: OrganisationSettings,
    settings: BreachSettings,
    incidents: Sequence[Incident],
    people: Parties,
    locate: Locate = nowhere,
) -> tuple[Notice, Form08]:
    """Form 08 as a printable document (the attachment), and the cover email around it."""
    form = build(view, organisation, settings, incidents, people, locate)
    document = ENVIRONMENT.get_template("authority.html.j2").render(form=form, pages=pages(form))
    text = ENVIRONMENT.get_template("authority.txt.j2").render(form=form, view=view)
    subject = f"[{view.id}] Thông báo vi phạm bảo vệ dữ liệu cá nhân (Mẫu số 08) - " + (
        "ban đầu / initial"
        if view.phase == 1
        else f"bổ sung {view.phase - 1} / follow-up {view.phase - 1}"
    )
    return Notice(subject, text, "", "vi+en", document), form
