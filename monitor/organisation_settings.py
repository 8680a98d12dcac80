"""Who notifies: the organisation's identity on Form 08 and in every customer notice.

Nothing here has an invented default: a value not given stays blank, the form shows a
marked blank to fill by hand, and `vigil status` and `vigil breach preview` list it.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import field_validator

from monitor.config_types import Section

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TAX_CODE = re.compile(r"^(\d{10}(-\d{3})?)?$")  # 10 digits, or 13 for a branch (Circular 86/2024)
WEBSITE = re.compile(r"^(https?://[^\s/]+\.[^\s]+)?$")
EMAIL = re.compile(r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")


def plain(value: str) -> str:
    """One printable line: a control character would break a header or the printed form."""
    if CONTROL.search(value):
        raise ValueError("control characters (such as a line break) are not allowed")
    return value.strip()


class Text(Section):
    """A section whose every text value is one printable line."""

    @field_validator("*", mode="before")
    @classmethod
    def one_line(cls, value: object) -> object:
        return plain(value) if isinstance(value, str) else value


class RegistrationSettings(Text):
    """The enterprise registration certificate (Giấy chứng nhận đăng ký doanh nghiệp)."""

    number: str = ""
    issuer: str = ""  # e.g. Phòng Đăng ký kinh doanh, Sở Tài chính thành phố Hà Nội
    issued_on: date | None = None
    place: str = ""


class OfficerSettings(Text):
    """The person in charge of personal-data protection (Decree 356 Art 28(1)(b))."""

    name: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""

    @field_validator("email")
    @classmethod
    def an_address(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("not an email address")
        return value


class OrganisationSettings(Text):
    """Form 08 section 1: name, offices, registration, tax code, phone, website, officer."""

    name: str = ""  # the registered Vietnamese name
    name_en: str = ""
    short_name: str = ""  # the document code suffix: Số: .../TB-ALS
    city: str = ""  # the place line: Hà Nội, ngày ... tháng ... năm ...
    head_office: str = ""
    head_office_en: str = ""
    transaction_office: str = ""
    transaction_office_en: str = ""
    registration: RegistrationSettings = RegistrationSettings()
    tax_code: str = ""
    phone: str = ""
    hotline: str = ""
    website: str = ""
    officer: OfficerSettings = OfficerSettings()

    @field_validator("tax_code")
    @classmethod
    def a_tax_code(cls, value: str) -> str:
        if not TAX_CODE.match(value):
            raise ValueError("a tax code is 10 digits, or 10 digits, '-' and 3 for a branch")
        return value

    @field_validator("website")
    @classmethod
    def a_website(cls, value: str) -> str:
        if not WEBSITE.match(value):
            raise ValueError("a website is an http:// or https:// address")
        return value

    def blanks(self) -> tuple[str, ...]:
        """The Form 08 fields nobody configured, as config keys (organisation.tax_code)."""
        missing = [name for name in REQUIRED if not getattr(self, name)]
        missing += [f"registration.{n}" for n in REGISTRATION if not getattr(self.registration, n)]
        missing += [f"officer.{n}" for n in OFFICER if not getattr(self.officer, n)]
        return tuple(f"organisation.{name}" for name in missing)


REQUIRED = (
    "name",
    "short_name",
    "city",
    "head_office",
    "transaction_office",
    "tax_code",
    "phone",
    "hotline",
    "website",
)
REGISTRATION = ("number", "issuer", "issued_on", "place")
OFFICER = ("name", "title", "phone", "email")
