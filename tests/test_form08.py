"""Form 08 as A05's officer reads it: every field filled from config and evidence, in Vietnamese."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from playwright.async_api import async_playwright
from pydantic import ValidationError
from pypdf import PdfReader

from monitor.incidents import IncidentStore
from monitor.settings import Settings, load_settings
from monitor.store.keys import Keys
from playbooks.form08 import Parties
from playbooks.notices import authority_notice
from playbooks.playbook import Playbook
from tests.mailbox import Mailbox
from tests.notice_world import (
    ORGANISATION,
    Clock,
    configured,
    customer,
    playbook_for,
    previewed,
    raise_incident,
    send_all,
    write_directory,
)
from tests.test_cli import vigil

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).parents[1] / "docs"
A4_WIDTH, A4_HEIGHT = 794, 1123  # CSS pixels at 96 dpi
EXPORT = {
    "id": "/var/log/als/audit.json:9",
    "@timestamp": "2026-03-01T21:10:00Z",
    "event.action": "customer-record-export",
    "user.name": "khanh.bui",
    "source.ip": "14.160.1.5",
    "labels.record_count": 3,
    "labels.columns": ["full_name", "phone", "email", "national_id"],
}
TAKEOVER = [
    {
        "id": f"/var/log/als/audit.json:{n}",
        "@timestamp": f"2026-03-01T22:0{n}:00Z",
        "event.action": "user-login",
        "event.outcome": "success" if n == 5 else "failure",
        "user.name": "cust-2",
        "source.ip": "203.0.113.7",
        "labels.customer_id": "C-2",
    }
    for n in range(6)
]


@pytest.fixture
def world(settings: Settings, tmp_path: Path, smtp: tuple[Mailbox, int]) -> Settings:
    directory = write_directory(
        tmp_path / "customers.csv",
        [customer(0), customer(1, email=""), customer(2, language="en")],
    )
    return configured(settings, directory, smtp[1], ORGANISATION)


@pytest.fixture
def playbook(redis: aioredis.Redis, keys: Keys, world: Settings, store: IncidentStore) -> Playbook:
    return playbook_for(redis, keys, world, store, Clock())


async def crafted(playbook: Playbook, store: IncidentStore) -> str:
    """An export by a warehouse employee (one customer unknown to the directory), and an
    account taken over after five failed sign-ins."""
    export = await raise_incident(
        store,
        "bulk_access.export_drop",
        [EXPORT],
        ["C-0", "C-1", "C-999"],
        {"actor": "khanh.bui"},
        title="Export of 3 customer records by khanh.bui",
    )
    takeover = await raise_incident(
        store,
        "account_takeover.compromise_after_failures",
        TAKEOVER,
        ["C-2"],
        {"ip": "203.0.113.7"},
    )
    breach = await playbook.store.declare([export, takeover], "test", "quang")
    return breach.id


async def test_preview_of_a_crafted_breach_fills_every_form_08_field_from_evidence(
    playbook: Playbook, store: IncidentStore, tmp_path: Path
) -> None:
    breach_id = await crafted(playbook, store)
    await previewed(playbook, breach_id, tmp_path / "out")
    form = (tmp_path / "out" / "authority-form-08.html").read_text()
    vietnamese, english = form.split('<section lang="en"')
    for field in (
        "CÔNG TY CỔ PHẦN LOGISTICS HÀNG KHÔNG",  # the organisation, top left
        "Số: ………/TB-ALS",
        "Hà Nội, ngày ….. tháng ….. năm 2026",
        "Mẫu số 08",
        "Nghị định số 356/2025/NĐ-CP",
        "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15",
        "Số 1 Phố Giao Dịch, Hà Nội",  # transaction office
        "Số: 0100000001",
        "Cơ quan cấp: Sở Kế hoạch và Đầu tư thành phố Hà Nội",
        "Ngày cấp: 29/08/2007",
        "024 3000 0001",
        "https://als.example.vn",
        "Trần Thị Bảo",
        "04:10 ngày 02/03/2026 (giờ Hà Nội, UTC+7)",  # occurred: the export, 21:10 UTC
        "09:00 ngày 02/03/2026",  # detected: the declaration
        "Website khách hàng als.example.vn",
        "Xuất 3 hồ sơ khách hàng ra tệp",
        "Chiếm quyền tài khoản: đăng nhập thành công vào 1 tài khoản khách hàng",
        "Nhân viên Bui Van Khanh, bộ phận Kho hàng",
        "Địa chỉ IP 203.0.113.7 (mạng 203.0.113.0/24",
        "Họ và tên (chính sách bảo mật mục 1.2)",
        "Số định danh cá nhân (CCCD/CMND) (ngoài phạm vi chính sách)",
        "Địa chỉ IP, cookie (chính sách bảo mật mục 1.3)",
        "4 (trong đó 1 không có trong danh bạ khách hàng)",
        "Giả mạo danh tính",
        "Đăng thông báo công khai trên website",
        "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT",
        "(Ký, ghi rõ họ tên, đóng dấu)",
    ):
        assert field in vietnamese, field
    assert "cust-2" not in form and "Export of" not in form and "audit.json" not in form
    assert "Department of Cybersecurity and High-Tech Crime Prevention (A05)" in english
    assert "3 customer records exported to a file" in english
    assert vietnamese.count("cần bổ sung") == 1  # only the IT department's own measures
    assert not (tmp_path / "out" / "WARNINGS.txt").exists()


async def test_fields_nobody_configured_print_as_marked_blanks_and_are_listed(
    playbook: Playbook, store: IncidentStore, tmp_path: Path
) -> None:
    shipped = load_settings().organisation
    playbook.settings = playbook.settings.model_copy(update={"organisation": shipped})
    breach_id = await crafted(playbook, store)
    await previewed(playbook, breach_id, tmp_path / "out")
    form = (tmp_path / "out" / "authority-form-08.html").read_text()
    listed = [
        line.split(":")[0] for line in (tmp_path / "out" / "WARNINGS.txt").read_text().splitlines()
    ]
    assert "organisation.tax_code" in listed and "organisation.officer.email" in listed
    assert "organisation.head_office" not in listed  # the policy gives it (section 8)
    assert 'Mã số thuế</th><td><div><span class="blank">' in form
    assert "0102373180" not in form  # no invented tax code any more
    assert "4th Floor, ALS Cargo Terminal" in form


@pytest.mark.parametrize(
    ("key", "value"),
    [("tax_code", "01-02"), ("website", "als.com.vn"), ("name", "ALS\r\nBcc: x@example.com")],
)
def test_a_bad_organisation_value_stops_the_start(key: str, value: str) -> None:
    with pytest.raises(ValidationError, match=key):
        type(load_settings().organisation).model_validate({key: value})


async def test_the_officer_gets_form_08_as_a_draft_and_the_authority_nothing(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    breach_id = await crafted(playbook, store)
    await playbook.run(breach_id)
    await send_all(playbook)
    assert not [m for m in mailbox.messages if m["To"] == "a05@bocongan.gov.vn"]
    drafts = [m for m in mailbox.messages if m["Subject"].startswith("[DRAFT for signature]")]
    assert drafts, [m["Subject"] for m in mailbox.messages]
    (document,) = drafts[0].iter_attachments()
    body = document.get_content()
    assert "Xuất 3 hồ sơ khách hàng ra tệp" in body and "cust-2" not in body
    cover = drafts[0].get_body(preferencelist=("plain",))
    assert cover is not None and "Mã băm" in cover.get_content()


def test_status_lists_the_form_08_fields_nobody_configured(redis_url: str) -> None:
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "form08"}
    shown = vigil("status", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Form 08 fields not configured" in shown.stdout
    assert "organisation.tax_code" in shown.stdout and "organisation.officer.name" in shown.stdout


def test_a_bad_organisation_value_in_the_config_file_names_the_key(
    tmp_path: Path, redis_url: str
) -> None:
    config = tmp_path / "vigil.yaml"
    config.write_text("organisation:\n  tax_code: ALS-123\n")
    shown = vigil("--config", str(config), "status", env={"REDIS_URL": redis_url})
    assert shown.returncode == 2
    assert "organisation.tax_code" in shown.stderr


async def test_a_follow_up_cites_the_first_notice_and_says_what_changed(
    playbook: Playbook, store: IncidentStore
) -> None:
    breach_id = await crafted(playbook, store)
    breach = await playbook.store.existing(breach_id)
    incidents, found, unknown = await playbook.affected_of(breach)
    view = replace(
        playbook.view(breach),
        phase=2,
        first_notice_number="17",
        first_notice_date="02/03/2026",
        previous_subjects=1,
        new_incidents=(incidents[0].id,),
        late_reason="chờ kết quả điều tra của bộ phận CNTT",
    )
    notice, _ = authority_notice(
        view,
        playbook.settings.organisation,
        playbook.breach,
        incidents,
        Parties(found, unknown, playbook.rota.staff),
    )
    form = notice.attachment
    assert "Thông báo bổ sung lần 1 cho Thông báo số 17/TB-ALS ngày 02/03/2026" in form
    assert "Số chủ thể dữ liệu bị ảnh hưởng thay đổi từ 1 lên 4." in form
    assert "Hành vi mới được xác định: " in form
    assert "Follow-up 1 to Notice No. 17/TB-ALS of 02/03/2026" in form
    assert "Lý do thông báo chậm" in form and "chờ kết quả điều tra" in form
    assert "bổ sung 1 / follow-up 1" in notice.subject


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="make test installs it")
async def test_form_08_prints_on_a4_with_its_translation_on_a_page_of_its_own(
    playbook: Playbook, store: IncidentStore, tmp_path: Path
) -> None:
    """Chromium prints the HTML as an officer would; the README's pictures are taken here."""
    folder = await previewed(playbook, await crafted(playbook, store), tmp_path / "out")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": A4_WIDTH, "height": A4_HEIGHT})
        await page.goto((folder / "authority-form-08.html").as_uri())
        assert await page.evaluate("document.documentElement.scrollWidth") <= A4_WIDTH
        printed = PdfReader(BytesIO(await page.pdf(prefer_css_page_size=True)))
        await page.screenshot(path=str(DOCS / "form-08.png"))
        await page.goto((folder / "customer-C-0.html").as_uri())
        await page.screenshot(path=str(DOCS / "customer-notice.png"), full_page=True)
        await browser.close()
    # Chromium's PDF spaces out stacked diacritics ("C Ổ PH Ầ N"): compared without spaces.
    texts = ["".join(p.extract_text().split()) for p in printed.pages]
    assert "Mẫusố08" in texts[0] and "FormNo.08" not in texts[0]
    english = next(n for n, text in enumerate(texts) if "FormNo.08" in text)
    assert texts[english].startswith("AVIATIONLOGISTICSCORPORATION")  # on a page of its own
    assert printed.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4: 210 mm


async def test_vigil_breach_preview_writes_the_form_pdf_and_warns_of_blanks(
    playbook: Playbook, store: IncidentStore, tmp_path: Path, redis_url: str, world: Settings
) -> None:
    """The command itself, over the shipped organisation section (ALS's policy values only)."""
    breach_id = await crafted(playbook, store)
    config = tmp_path / "vigil.yaml"
    config.write_text(f"directories:\n  customers: {world.directories.customers}\n")
    out = tmp_path / "preview"
    shown = await asyncio.to_thread(
        vigil,
        "--config",
        str(config),
        "breach",
        "preview",
        breach_id,
        "--out",
        str(out),
        env={"REDIS_URL": redis_url},
    )
    assert shown.returncode == 0, shown.stderr
    assert "organisation.tax_code: not configured" in shown.stderr
    form = PdfReader(out / "authority-form-08.pdf")
    words = "".join("".join(page.extract_text().split()) for page in form.pages)
    assert "Mãsốthuế………………[cầnbổsung]" in words
    assert "AVIATIONLOGISTICSCORPORATION(ALS)" in words  # the policy's name, no Vietnamese one
    assert "Xuất3hồsơkháchhàngratệp" in words and "cust-2" not in words
