"""Data types as the notices name them: every column seen, mapped to policy sections 1.2 and 1.3.

A column the policy does not list (a national ID, a bank account) is named as such and
never dropped: the authority and the customer must hear of it, and so must the officer,
since holding it is itself outside what the policy announced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DataType:
    """One kind of data, in both languages, and where the policy announces it."""

    key: str
    vi: str
    en: str
    policy: str  # "1.2", "1.3" or "" for a column outside the policy

    @property
    def outside_policy(self) -> bool:
        return not self.policy


def known(key: str, vi: str, en: str, policy: str) -> DataType:
    return DataType(key, vi, en, policy)


# Policy 1.2: what customers register; 1.3: what server logs hold.
POLICY = (
    known("username", "Tên đăng nhập", "Username", "1.2"),
    known("password", "Mật khẩu (dạng đã băm)", "Password (hashed)", "1.2"),
    known("business_name", "Tên doanh nghiệp", "Business name", "1.2"),
    known("full_name", "Họ và tên", "Full name", "1.2"),
    known("phone", "Số điện thoại", "Phone number", "1.2"),
    known("email", "Địa chỉ email", "Email address", "1.2"),
    known("gender", "Giới tính", "Gender", "1.2"),
    known("date_of_birth", "Ngày sinh", "Date of birth", "1.2"),
    known(
        "address",
        "Địa chỉ (tỉnh/thành phố, quận/huyện, phường/xã, địa chỉ cụ thể)",
        "Address (province/city, district, ward, street address)",
        "1.2",
    ),
    known("searches", "Nội dung tìm kiếm, truy vấn trên website", "Searches and queries", "1.3"),
    known("ip", "Địa chỉ IP, cookie", "IP address, cookies", "1.3"),
    known(
        "device",
        "Loại trình duyệt, thiết bị, hệ điều hành",
        "Browser type, device, operating system",
        "1.3",
    ),
    known(
        "activity",
        "Hoạt động trên hệ thống, thời gian truy cập, URL giới thiệu",
        "System activity, time and date, referral URL",
        "1.3",
    ),
)
BY_KEY: Mapping[str, DataType] = {t.key: t for t in POLICY}
PROFILE = tuple(t for t in POLICY if t.policy == "1.2")
LOGS = tuple(t for t in POLICY if t.policy == "1.3")

# Column names as exports and databases spell them, to the policy's data types.
ALIASES = {
    "user_name": "username",
    "login": "username",
    "password_hash": "password",
    "company": "business_name",
    "business": "business_name",
    "organization": "business_name",
    "name": "full_name",
    "fullname": "full_name",
    "phone_number": "phone",
    "mobile": "phone",
    "e_mail": "email",
    "mail": "email",
    "sex": "gender",
    "dob": "date_of_birth",
    "birthday": "date_of_birth",
    "birth_date": "date_of_birth",
    "province": "address",
    "city": "address",
    "district": "address",
    "ward": "address",
    "street": "address",
    "search": "searches",
    "query": "searches",
    "ip_address": "ip",
    "cookie": "ip",
    "cookies": "ip",
    "user_agent": "device",
    "browser": "device",
    "referrer": "activity",
    "referer": "activity",
    "last_login": "activity",
}
# Columns outside the policy that have a well-known meaning: named in words, flagged.
OUTSIDE = {
    "national_id": ("Số định danh cá nhân (CCCD/CMND)", "National ID number"),
    "cccd": ("Số định danh cá nhân (CCCD/CMND)", "National ID number"),
    "cmnd": ("Số định danh cá nhân (CCCD/CMND)", "National ID number"),
    "id_number": ("Số định danh cá nhân (CCCD/CMND)", "National ID number"),
    "passport": ("Số hộ chiếu", "Passport number"),
    "bank_account": ("Số tài khoản ngân hàng", "Bank account number"),
    "card_number": ("Số thẻ thanh toán", "Payment card number"),
    "tax_code": ("Mã số thuế", "Tax code"),
}


def normal(column: str) -> str:
    return "_".join(column.strip().casefold().replace("-", " ").replace(".", " ").split())


def data_type(column: str) -> DataType:
    """The data type of one column; outside the policy, named by its meaning or its name."""
    key = normal(column)
    key = ALIASES.get(key, key)
    if key in BY_KEY:
        return BY_KEY[key]
    vi, en = OUTSIDE.get(
        key, (f"Cột dữ liệu “{column.strip()}”", f"Data column “{column.strip()}”")
    )
    return DataType(key, f"{vi} (ngoài phạm vi chính sách)", f"{en} (outside the policy)", "")


def columns_of(reference: Mapping[str, Any]) -> list[str]:
    named = reference.get("labels.columns")
    if not named:
        return []
    return [str(c) for c in (named if isinstance(named, list | tuple) else str(named).split(","))]


def ordered(types: Iterable[DataType]) -> tuple[DataType, ...]:
    """Policy order first, then the columns outside it by name; each once."""
    unique = {t.key: t for t in types}
    rank = {t.key: n for n, t in enumerate(POLICY)}
    return tuple(sorted(unique.values(), key=lambda t: (rank.get(t.key, len(rank)), t.key)))
