"""The directories: departments however spelt, bad rows reported, unusable files refused."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detectors.bulk_access import UnauthorizedDepartment, record
from detectors.history import RedisHistory
from detectors.people import People
from monitor.directory import BadRow, DirectoryError, department_key, read_customers, read_staff
from monitor.directory_files import LastGood
from monitor.settings import load_settings
from tests.test_cli import vigil

HEADER = "username,full_name,department,email,phone,on_call\n"
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "spelling",
    ["customer_care", "customer-care", "Customer Care", " CUSTOMER  -care ", "Customer_Care"],
)
def test_a_department_is_one_name_however_spelt(spelling: str) -> None:
    assert department_key(spelling) == "customer_care"


def test_the_allow_list_matches_the_directory_however_either_spells_it(tmp_path: Path) -> None:
    config = tmp_path / "vigil.yaml"
    config.write_text("detectors:\n  allowed_departments: [Customer Care, IT]\n")
    allowed = load_settings(config).detectors.allowed_departments
    assert allowed == ("customer_care", "it")
    people = People(departments={"thu.vo": "customer-care", "khanh.bui": "Warehouse"})
    detector = UnauthorizedDepartment(people, allowed)
    history = RedisHistory({})
    thu = record("customer-record-view", "thu.vo", "C-1001", T0)
    khanh = record("customer-record-view", "khanh.bui", "C-1001", T0)
    assert detector.evaluate(thu, history) is None
    found = detector.evaluate(khanh, history)
    assert found is not None and found.entities["department"] == "Warehouse"


def test_bad_rows_are_skipped_with_their_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(
        HEADER
        + "hoa,Nguyen Thi Hoa,it,hoa@als.com.vn,0912,yes\n"  # line 2
        + "lan,Tran Ngoc Lan,,lan@als.com.vn,0913,no\n"  # 3: no department
        + "minh,Pham Duc Minh,it,minh@als.com.vn,0914,no,extra\n"  # 4: seven fields
        + "hoa,Someone Else,warehouse,x@als.com.vn,0915,no\n"  # 5: repeated
        + "tuan,Do Minh Tuan,page_management\n"  # 6: three fields
        + ",Nobody,it,n@als.com.vn,,no\n"  # 7: no username
    )
    staff = read_staff(path)
    assert list(staff.members) == ["hoa"] and staff.members["hoa"].department == "it"
    assert staff.bad_rows == (
        BadRow(3, "no department"),
        BadRow(4, "7 fields, the header has 6"),
        BadRow(5, "username repeated from line 2 (the first is kept)"),
        BadRow(6, "3 fields, the header has 6"),
        BadRow(7, "no username"),
    )


def test_a_file_without_a_needed_column_or_unreadable_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("username,email\ncust-1,a@b.c\n")
    with pytest.raises(DirectoryError, match="no column customer_id"):
        read_customers(path)
    with pytest.raises(DirectoryError, match="cannot read"):
        read_customers(tmp_path / "missing.csv")


def test_a_file_that_turns_unreadable_keeps_its_last_good_copy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + "hoa,Nguyen Thi Hoa,it,hoa@als.com.vn,0912,yes\n")
    directory = LastGood(path, read_staff)
    assert list(directory.read().members) == ["hoa"]
    path.write_text(HEADER + "lan,Tran Ngoc Lan,it,lan@als.com.vn,0913,no\n")
    assert list(directory.read().members) == ["lan"]  # read again when it changed
    path.unlink()
    with caplog.at_level(logging.WARNING):
        assert list(directory.read().members) == ["lan"]
    assert "cannot read" in caplog.text and "keeping the copy read before" in caplog.text
    with pytest.raises(DirectoryError):
        LastGood(path, read_staff).read()  # never read: nothing to keep


def config_with(tmp_path: Path, staff: Path, customers: Path) -> Path:
    config = tmp_path / "vigil.yaml"
    config.write_text(f"directories:\n  staff: {staff}\n  customers: {customers}\n")
    return config


@pytest.mark.parametrize("problem", ["missing", "a folder"])
def test_an_unusable_directory_stops_scan_naming_key_and_file(
    tmp_path: Path, redis_url: str, problem: str
) -> None:
    staff = tmp_path / "staff.csv"
    if problem == "a folder":
        staff.mkdir()
    customers = Path(__file__).parents[1] / "config" / "customers.csv"
    log = tmp_path / "auth.log"
    log.write_text("")
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "directories"}
    result = vigil(
        "--config", str(config_with(tmp_path, staff, customers)), "scan", str(log), env=env
    )
    assert result.returncode == 2
    assert "configuration error" in result.stderr
    assert f"directories.staff: {staff}: cannot read" in result.stderr


def test_status_reports_bad_rows_unknown_departments_and_an_unusable_file(
    tmp_path: Path, redis_url: str
) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text(
        HEADER
        + "thu,Vo Anh Thu,Customer Care,thu@als.com.vn,,no\n"
        + "khanh,Bui Van Khanh,Warehouse,khanh@als.com.vn,,no\n"
        + "lan,Tran Ngoc Lan,,lan@als.com.vn,,no\n"
    )
    config = config_with(tmp_path, staff, tmp_path / "customers.csv")  # no customers file
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "directories"}
    shown = vigil("--config", str(config), "status", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "2 entries, 1 bad rows skipped" in shown.stdout
    assert "line 4: no department" in shown.stdout
    assert "departments not in detectors.allowed_departments: Warehouse (1 staff)" in shown.stdout
    assert "treated as not allowed" in shown.stdout
    assert "directories.customers" in shown.stdout and "UNUSABLE" in shown.stdout
    assert "impersonation.cross_account_access" in shown.stdout
    report = json.loads(vigil("--config", str(config), "status", "--json", env=env).stdout)
    by_key = {d["key"]: d for d in report["directories"]}
    assert by_key["directories.staff"]["bad_rows"] == [{"line": 4, "reason": "no department"}]
    assert by_key["directories.staff"]["unknown_departments"] == {"Warehouse": 1}
    assert "cannot read" in by_key["directories.customers"]["error"]


def test_scan_skips_a_bad_row_and_says_so(tmp_path: Path, redis_url: str) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text(HEADER + "thu,Vo Anh Thu,customer_care,thu@als.com.vn,,no\n,,it,,,\n")
    customers = Path(__file__).parents[1] / "config" / "customers.csv"
    log = tmp_path / "auth.log"
    log.write_text("")
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "directories"}
    result = vigil(
        "--config", str(config_with(tmp_path, staff, customers)), "scan", str(log), env=env
    )
    assert result.returncode == 0, result.stderr
    assert f"{staff} line 3 skipped: no username" in result.stderr
