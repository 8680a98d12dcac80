"""Form 08 laid out as text: the same page for the HTML and the PDF, in Vietnamese and in English.

A value of None is a blank the organisation has not configured: both renderers print
it as a marked dotted line to fill by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from playbooks.evidence import Line
from playbooks.form08 import Form08
from playbooks.view import Moment

Value = str | None


@dataclass(frozen=True, slots=True)
class Fill:
    """One line of a field: its text, or a blank to fill (None), after an optional label."""

    text: Value
    label: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    values: tuple[Fill, ...]


def fills(*texts: Value) -> tuple[Fill, ...]:
    return tuple(Fill(text) for text in texts)


@dataclass(frozen=True, slots=True)
class Part:
    title: str
    rows: tuple[Row, ...] = ()
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """One language's Form 08, top to bottom."""

    lang: str
    organisation: Value
    number: str
    about: str
    state: tuple[str, str]
    dated: str
    form_no: tuple[str, str]
    title: tuple[str, str]
    to: str
    intro: str
    phase: tuple[str, ...]
    parts: tuple[Part, ...]
    recipients: tuple[str, ...]
    signer: tuple[str, str]
    blank: str


@dataclass(frozen=True, slots=True)
class Words:
    """Everything on the form that is not a fact, in one language."""

    state: tuple[str, str]
    about: str
    form: tuple[str, str]
    title: tuple[str, str]
    intro: str
    signer: tuple[str, str]
    blank: str
    no: str
    to: str
    local: str
    policy: str
    none: str
    unlisted: str
    it: str
    registration: tuple[str, str, str, str]
    officer: tuple[str, str, str, str]
    initial: str
    followup: str
    pledge: str
    recipients: tuple[str, str, str]
    dated: str


WORDS = {
    "vi": Words(
        state=("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
        about="V/v thông báo vi phạm quy định về bảo vệ dữ liệu cá nhân",
        form=("Mẫu số 08", "Ban hành kèm theo Nghị định số 356/2025/NĐ-CP"),
        title=("THÔNG BÁO", "Vi phạm quy định về bảo vệ dữ liệu cá nhân"),
        intro="Căn cứ Điều 23 Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Điều 28 Nghị "
        "định số 356/2025/NĐ-CP, {org} thông báo vi phạm quy định về bảo vệ dữ liệu cá nhân "
        "như sau:",
        signer=("NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT", "(Ký, ghi rõ họ tên, đóng dấu)"),
        blank="cần bổ sung",
        no="Số",
        to="Kính gửi",
        local="(giờ Hà Nội, UTC+7)",
        policy="chính sách bảo mật mục",
        none="Không có.",
        unlisted="trong đó {n} không có trong danh bạ khách hàng",
        it="Biện pháp kỹ thuật do bộ phận công nghệ thông tin thực hiện (chặn truy cập, khóa "
        "phiên, đặt lại mật khẩu):",
        registration=("Số:", "Cơ quan cấp:", "Ngày cấp:", "Nơi cấp:"),
        officer=("Họ và tên:", "Chức danh:", "Điện thoại:", "Email:"),
        initial="Thông báo ban đầu.",
        followup="Thông báo bổ sung lần {n} cho Thông báo số {number} ngày {date}. "
        "Nội dung thay đổi:",
        pledge="{org} cam kết những thông tin trên là đúng sự thật, chịu trách nhiệm trước "
        "pháp luật về nội dung thông báo và phối hợp với cơ quan chuyên trách bảo vệ dữ liệu "
        "cá nhân trong quá trình xác minh, xử lý vi phạm.",
        recipients=("Nơi nhận:", "- Như trên;", "- Lưu: hồ sơ {id}."),
        dated="{city}, ngày ….. tháng ….. năm {year}",
    ),
    "en": Words(
        state=("SOCIALIST REPUBLIC OF VIETNAM", "Independence - Freedom - Happiness"),
        about="Re: notice of a violation of the personal data protection rules",
        form=("Form No. 08", "Issued with Decree No. 356/2025/ND-CP"),
        title=("NOTICE", "of a violation of the personal data protection rules"),
        intro="Pursuant to Article 23 of the Law on Personal Data Protection No. "
        "91/2025/QH15 and Article 28 of Decree No. 356/2025/ND-CP, {org} gives notice of a "
        "violation of the personal data protection rules as follows:",
        signer=("LEGAL REPRESENTATIVE", "(Signature, full name, seal)"),
        blank="to be completed",
        no="No.",
        to="To",
        local="(Hanoi time, UTC+7)",
        policy="privacy policy section",
        none="None.",
        unlisted="of whom {n} not in the customer directory",
        it="Technical measures taken by the IT department (blocking access, ending sessions, "
        "resetting passwords):",
        registration=("No.:", "Issued by:", "Issued on:", "Place of issue:"),
        officer=("Full name:", "Position:", "Telephone:", "Email:"),
        initial="Initial notice.",
        followup="Follow-up {n} to Notice No. {number} of {date}. What changed:",
        pledge="{org} confirms that the above is true, takes legal responsibility for this "
        "notice, and will cooperate with the personal data protection agency in verifying and "
        "handling the violation.",
        recipients=("Recipients:", "- As above;", "- File: {id}."),
        dated="{city}, ….. ….. {year}",
    ),
}
LABELS = {
    "vi": (
        "1. Thông tin về tổ chức thông báo",
        "Tên tổ chức",
        "Trụ sở chính",
        "Trụ sở giao dịch",
        "Giấy chứng nhận đăng ký doanh nghiệp",
        "Mã số thuế",
        "Điện thoại",
        "Website",
        "Nhân sự phụ trách bảo vệ dữ liệu cá nhân",
        "2. Nội dung vi phạm",
        "Thời gian xảy ra",
        "Thời gian phát hiện",
        "Địa điểm (hệ thống)",
        "Hành vi vi phạm",
        "Tổ chức, cá nhân liên quan",
        "Loại dữ liệu cá nhân",
        "Số lượng chủ thể dữ liệu",
        "Số lượng bản ghi",
        "Hậu quả, thiệt hại có thể xảy ra",
        "Biện pháp đã thực hiện",
        "Biện pháp sẽ thực hiện",
        "Lý do thông báo chậm",
        "3. Tài liệu kèm theo",
        "4. Cam kết",
    ),
    "en": (
        "1. The notifying organisation",
        "Name",
        "Head office",
        "Transaction office",
        "Enterprise registration certificate",
        "Tax code",
        "Telephone",
        "Website",
        "Person in charge of personal data protection",
        "2. The violation",
        "Time it occurred",
        "Time it was detected",
        "Place (systems)",
        "Acts",
        "Organisations and individuals involved",
        "Types of personal data",
        "Number of data subjects",
        "Number of records",
        "Possible consequences and damage",
        "Measures taken",
        "Measures to be taken",
        "Reason for the late notice",
        "3. Attachments",
        "4. Commitment",
    ),
}


def pick(line: Line, lang: str) -> str:
    return line.vi if lang == "vi" else line.en


def moment(at: Moment, lang: str) -> str:
    return at.vi if lang == "vi" else at.en


def either(first: str, second: str) -> Value:
    return first or second or None


def local(vi_text: str, en_text: str, vi: bool) -> Value:
    """An address in the page's language; the other language's when only that is known."""
    return either(vi_text, en_text) if vi else either(en_text, vi_text)


def labelled(labels: tuple[str, ...], values: tuple[str, ...]) -> tuple[Fill, ...]:
    """'Label: value' lines; a missing value keeps its label and prints a blank after it."""
    return tuple(Fill(v or None, label) for label, v in zip(labels, values, strict=True))


def organisation_part(form: Form08, lang: str) -> Part:
    o, r, p = form.organisation, form.organisation.registration, WORDS[lang]
    vi = lang == "vi"
    label = LABELS[lang]
    issued = r.issued_on.strftime("%d/%m/%Y") if r.issued_on else ""
    officer = (o.officer.name, o.officer.title, o.officer.phone, o.officer.email)
    return Part(
        label[0],
        (
            Row(label[1], fills(either(o.name, o.name_en) if vi else either(o.name_en, o.name))),
            Row(label[2], fills(local(o.head_office, o.head_office_en, vi))),
            Row(label[3], fills(local(o.transaction_office, o.transaction_office_en, vi))),
            Row(label[4], labelled(p.registration, (r.number, r.issuer, issued, r.place))),
            Row(label[5], fills(o.tax_code or None)),
            Row(label[6], fills(o.phone or None)),
            Row(label[7], fills(o.website or None)),
            Row(label[8], labelled(p.officer, officer)),
        ),
    )


def violation_part(form: Form08, lang: str) -> Part:
    p, label = WORDS[lang], LABELS[lang]

    def lines(items: tuple[Line, ...]) -> tuple[Fill, ...]:
        return fills(*(pick(line, lang) for line in items))

    subjects = str(form.subjects)
    if form.subjects_unlisted:
        subjects += f" ({p.unlisted.format(n=form.subjects_unlisted)})"
    types = fills(
        *(
            (t.vi if lang == "vi" else t.en) + (f" ({p.policy} {t.policy})" if t.policy else "")
            for t in form.data_types
        )
    )
    rows = [
        Row(label[10], fills(f"{moment(form.occurred, lang)} {p.local}")),
        Row(label[11], fills(f"{moment(form.detected, lang)} {p.local}")),
        Row(label[12], lines(form.places)),
        Row(label[13], lines(form.acts)),
        Row(label[14], lines(form.parties)),
        Row(label[15], types),
        Row(label[16], fills(subjects)),
        Row(label[17], fills(str(form.records))),
        Row(label[18], lines(form.consequences)),
        Row(label[19], (*lines(form.measures_done), Fill(None, p.it))),
        Row(label[20], lines(form.measures_planned)),
    ]
    if form.late_reason:
        rows.append(Row(label[21], fills(form.late_reason)))
    return Part(label[9], tuple(rows))


def page(form: Form08, lang: str) -> Page:
    o, p, label = form.organisation, WORDS[lang], LABELS[lang]
    name = either(o.name, o.name_en) if lang == "vi" else either(o.name_en, o.name)
    org = name or ("Tổ chức" if lang == "vi" else "The organisation")
    if form.phase == 1:
        phase: tuple[str, ...] = (p.initial,)
    else:
        number, date = form.first_notice
        head = p.followup.format(
            n=form.phase - 1, number=f"{number or '……'}/{form.code}", date=date or "……"
        )
        phase = (head, *(f"- {pick(line, lang)}" for line in form.changes))
    attachments = tuple(pick(line, lang) for line in form.attachments) or (p.none,)
    return Page(
        lang=lang,
        organisation=name.upper() if name else None,
        number=f"{p.no}: {form.number or '………'}/{form.code}",
        about=p.about,
        state=p.state,
        dated=p.dated.format(city=o.city or "……………", year=form.year),
        form_no=p.form,
        title=p.title,
        to=f"{p.to}: {pick(form.authority, lang)}",
        intro=p.intro.format(org=org),
        phase=phase,
        parts=(
            organisation_part(form, lang),
            violation_part(form, lang),
            Part(label[22], paragraphs=attachments),
            Part(label[23], paragraphs=(p.pledge.format(org=org),)),
        ),
        recipients=tuple(line.format(id=form.breach_id) for line in p.recipients),
        signer=p.signer,
        blank=p.blank,
    )


def pages(form: Form08) -> tuple[Page, Page]:
    """The Vietnamese form, then its English translation."""
    return page(form, "vi"), page(form, "en")
