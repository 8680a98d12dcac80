"""A realistic Vietnamese customer directory: common names, the usernames people pick from them."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from monitor.directory import Customer

# Family names with their rough share of the population (Nguyễn about 38 %).
FAMILY = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 3, "Huỳnh": 2, "Phan": 4.5,
    "Vũ": 2, "Võ": 2, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1,
    "Lý": 0.5,
}  # fmt: skip
MIDDLE = (
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu", "Hoàng",
    "Anh", "Công", "Quốc", "Thành", "Gia", "Bảo", "Kim", "Hồng", "Mai",
)  # fmt: skip
GIVEN = (
    "Hùng", "Dũng", "Huy", "Duy", "Anh", "Linh", "Trang", "Hương", "Lan", "Mai", "Tuấn",
    "Long", "Nam", "Hà", "Thảo", "Phương", "Hải", "Hoa", "Hằng", "Hạnh", "Ngọc", "Minh",
    "Quân", "Sơn", "Thắng", "Trung", "Việt", "Vy", "Yến", "Nhung", "Thủy", "Tâm", "Thành",
    "Khánh", "Bình", "Cường", "Đạt", "Hiếu", "Hiền", "Lâm", "Loan", "Nga", "Nhi", "Quang",
    "Tú", "Vân", "Hưng", "Phúc", "Tùng", "Kiên", "Hòa", "Giang", "Chi", "Châu", "Dung",
    "Hạ", "Thu", "Hân", "Ly", "My", "Tiến", "Toàn", "Thịnh", "Phong", "Vinh", "Hậu",
)  # fmt: skip
# Words Vietnamese firms name themselves with, and their trades.
FIRM_WORDS = (
    "An", "Phát", "Phú", "Thịnh", "Hưng", "Long", "Thành", "Đạt", "Minh", "Tân", "Việt",
    "Hoàng", "Gia", "Bảo", "Kim", "Sao", "Mai", "Nam", "Bắc", "Đông", "Hải", "Phương",
    "Trường", "Quang", "Thái", "Bình", "Hòa", "Tiến", "Vạn", "Lộc", "Tài", "Đức",
)  # fmt: skip
TRADES = ("Thương mại", "Vận tải", "Xuất nhập khẩu", "Logistics", "Dịch vụ", "Giao nhận")
FORMS = ("Công ty TNHH", "Công ty Cổ phần", "Công ty CP", "Doanh nghiệp tư nhân")
MAILBOXES = {
    "gmail.com": 70,
    "yahoo.com.vn": 10,
    "yahoo.com": 6,
    "hotmail.com": 4,
    "outlook.com": 4,
}


@dataclass(frozen=True, slots=True)
class Person:
    """A customer's name in its parts."""

    family: str
    middle: str
    given: str


def ascii_(text: str) -> str:
    """Without diacritics, as most usernames are typed: Đặng to Dang."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def person(rng: random.Random) -> Person:
    family = rng.choices(list(FAMILY), weights=list(FAMILY.values()))[0]
    return Person(family, rng.choice(MIDDLE), rng.choice(GIVEN))


# The forms a username takes: huy.tran, tranvanhuy, tran.van.huy, huytv, huytran, tran.huy.
SHAPES: tuple[Callable[[str, str, str], str], ...] = (
    lambda f, m, g: f"{g}.{f}",
    lambda f, m, g: f"{f}{m}{g}",
    lambda f, m, g: f"{f}.{m}.{g}",
    lambda f, m, g: f"{g}{f[0]}{m[0]}",
    lambda f, m, g: f"{g}{f}",
    lambda f, m, g: f"{f}.{g}",
    lambda f, m, g: f"{g}_{f}",
    lambda f, m, g: f"{m}{g}",
)


def username(rng: random.Random, who: Person) -> str:
    """A username from the name: mostly plain ASCII, some with diacritics, some with digits."""
    keep = rng.random() < 0.08
    parts = [(p if keep else ascii_(p)).lower() for p in (who.family, who.middle, who.given)]
    name = rng.choice(SHAPES)(*parts)
    if rng.random() < 0.35:
        name += rng.choice((str(rng.randrange(1970, 2006)), f"{rng.randrange(70, 100)}"))
    elif rng.random() < 0.15:
        name += str(rng.randrange(1, 999))
    return name


def firm(rng: random.Random) -> tuple[str, str]:
    """A business name and its own domain: Công ty TNHH Logistics An Phát at anphatlogistics.vn,
    or (one in five) at its initials, apl.com.vn."""
    first, second = rng.sample(FIRM_WORDS, 2)
    trade = rng.choice(TRADES)
    name = f"{rng.choice(FORMS)} {trade} {first} {second}"
    if rng.random() < 0.2:
        stem, suffix = ascii_(f"{first[0]}{second[0]}{trade[0]}").lower(), ""
    else:
        stem = ascii_(f"{first}{second}").lower()
        suffix = rng.choice(("", "", ascii_(trade).lower().replace(" ", ""), "group", "jsc"))
    return name, f"{stem}{suffix}.{rng.choice(('vn', 'com.vn', 'com'))}"


def customer(rng: random.Random, number: int, businesses: float = 0.1) -> Customer:
    """One customer: a person with a mailbox, or (one in ten) a business at its own domain."""
    who = person(rng)
    user = username(rng, who)
    full = f"{who.family} {who.middle} {who.given}"
    if rng.random() < businesses:
        name, domain = firm(rng)
        box = rng.choice(("info", "sales", "ketoan", ascii_(user).replace("_", ".")))
        email = f"{box}@{domain}"
    else:
        name = ""
        mailbox = rng.choices(list(MAILBOXES), weights=list(MAILBOXES.values()))[0]
        email = f"{ascii_(user).replace('_', '.')}@{mailbox}"
    return Customer(f"C-{number}", user, full, name, email, "", "vi")


def directory(rng: random.Random, size: int, start: int = 100_000) -> list[Customer]:
    """`size` customers, each username, business name and domain taken once, as sign-up does."""
    found: list[Customer] = []
    taken: set[str] = set()
    number = start
    while len(found) < size:
        c = customer(rng, number)
        domain = c.email.rpartition("@")[2] if c.business_name else ""
        keys = {c.username.casefold(), c.business_name.casefold(), domain} - {""}
        if keys & taken:
            continue
        taken |= keys
        found.append(c)
        number += 1
    return found
