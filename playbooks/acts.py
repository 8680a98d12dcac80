"""What happened, in words: each detector's finding as an act (Form 08) and as a harm (a customer).

Never an incident's title (English, and it may carry a username from the logs): the words
come from here, the numbers from the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from monitor.incidents import Incident

# {accounts} customer accounts, {attempts} events, {records} records, {sources} addresses
ACTS: Mapping[str, tuple[str, str]] = {
    "account_takeover.brute_force": (
        "Dò mật khẩu (tấn công vét cạn): {attempts} lần đăng nhập thử vào {accounts} tài khoản "
        "khách hàng trên website",
        "Password guessing (brute force): {attempts} sign-in attempts on {accounts} customer "
        "accounts on the website",
    ),
    "account_takeover.compromise_after_failures": (
        "Chiếm quyền tài khoản: đăng nhập thành công vào {accounts} tài khoản khách hàng sau "
        "nhiều lần đăng nhập sai",
        "Account takeover: successful sign-in to {accounts} customer accounts after repeated "
        "failed attempts",
    ),
    "account_takeover.mfa_fatigue": (
        "Gửi liên tiếp yêu cầu xác thực hai lớp đến {accounts} tài khoản khách hàng cho đến "
        "khi được chấp thuận",
        "Repeated two-factor prompts to {accounts} customer accounts until one was approved",
    ),
    "account_takeover.new_device_sensitive_change": (
        "Đăng nhập từ thiết bị lạ rồi thay đổi mật khẩu, email hoặc số điện thoại của "
        "{accounts} tài khoản khách hàng",
        "Sign-in from an unknown device followed by a change of password, email or phone on "
        "{accounts} customer accounts",
    ),
    "account_takeover.impossible_travel": (
        "Đăng nhập vào {accounts} tài khoản khách hàng từ những nơi cách xa nhau trong thời "
        "gian không thể di chuyển kịp",
        "Sign-ins to {accounts} customer accounts from places too far apart to travel between",
    ),
    "account_takeover.credential_stuffing": (
        "Dùng thông tin đăng nhập bị lộ từ nơi khác để thử đăng nhập {attempts} lần vào "
        "{accounts} tài khoản khách hàng",
        "Credential stuffing: {attempts} sign-in attempts with credentials leaked elsewhere on "
        "{accounts} customer accounts",
    ),
    "account_takeover.password_spray": (
        "Thử một số mật khẩu phổ biến trên {accounts} tài khoản khách hàng ({attempts} lần)",
        "Password spraying: common passwords tried on {accounts} customer accounts "
        "({attempts} attempts)",
    ),
    "account_takeover.distributed_guessing": (
        "Dò mật khẩu phân tán từ {sources} địa chỉ IP vào {accounts} tài khoản khách hàng",
        "Distributed password guessing from {sources} IP addresses on {accounts} customer accounts",
    ),
    "impersonation.session_hijack": (
        "Chiếm đoạt phiên đăng nhập của {accounts} tài khoản khách hàng từ thiết bị khác",
        "Session hijacking: {accounts} customers' signed-in sessions used from another device",
    ),
    "impersonation.cross_account_access": (
        "Dùng một tài khoản để xem hồ sơ của {accounts} khách hàng khác",
        "One account used to view the records of {accounts} other customers",
    ),
    "impersonation.staff_impersonation": (
        "Nhân viên dùng chức năng thao tác thay khách hàng trên {accounts} tài khoản khi không "
        "có yêu cầu hỗ trợ",
        "A staff member acted as {accounts} customers without a support request",
    ),
    "impersonation.lookalike_identity": (
        "Đăng ký tài khoản mang danh tính gần giống ALS hoặc khách hàng để giả mạo",
        "Registration of an account with an identity resembling ALS or a customer",
    ),
    "impersonation.phishing_referrer": (
        "Khách hàng được dẫn đến website từ trang lừa đảo giả mạo ALS",
        "Customers sent to the website from a phishing page imitating ALS",
    ),
    "bulk_access.unauthorized_department": (
        "Nhân viên thuộc bộ phận không được phép theo mục 6 của chính sách truy cập {records} "
        "hồ sơ khách hàng",
        "A staff member of a department not allowed by policy section 6 accessed {records} "
        "customer records",
    ),
    "bulk_access.scraping": (
        "Xem hàng loạt {records} hồ sơ khách hàng trong thời gian ngắn",
        "{records} customer records viewed in bulk in a short time",
    ),
    "bulk_access.export_drop": (
        "Xuất {records} hồ sơ khách hàng ra tệp",
        "{records} customer records exported to a file",
    ),
    "bulk_access.volume_anomaly": (
        "Khối lượng truy cập, trích xuất dữ liệu khách hàng bất thường ({records} bản ghi)",
        "Unusual volume of customer data accessed or exported ({records} records)",
    ),
    "bulk_access.crawling": (
        "Thu thập tự động các trang hồ sơ khách hàng ({records} hồ sơ)",
        "Automated crawling of customer record pages ({records} records)",
    ),
    "integrity.file_change": (
        "Thay đổi trái phép tệp trên máy chủ",
        "Unauthorised change of files on the server",
    ),
    "intrusion.injection": (
        "Tấn công chèn mã độc (SQL injection, XSS) vào ứng dụng web ({attempts} yêu cầu)",
        "Injection attack (SQL injection, XSS) on the web application ({attempts} requests)",
    ),
    "intrusion.scanner_agent": (
        "Quét lỗ hổng website bằng công cụ tự động ({attempts} yêu cầu)",
        "Vulnerability scanning of the website with an automated tool ({attempts} requests)",
    ),
    "intrusion.ssh_probing": (
        "Dò đăng nhập quản trị (SSH) vào máy chủ ({attempts} lần)",
        "Probing of administrative (SSH) sign-in to the server ({attempts} attempts)",
    ),
    "intrusion.sensitive_files": (
        "Truy cập các tệp nhạy cảm trên máy chủ web (cấu hình, bản sao lưu)",
        "Requests for sensitive files on the web server (configuration, backups)",
    ),
    "intrusion.http_probing": (
        "Dò quét đường dẫn trên máy chủ web ({attempts} yêu cầu)",
        "Path probing on the web server ({attempts} requests)",
    ),
}
FAMILIES: Mapping[str, tuple[str, str]] = {
    "account_takeover": ("Chiếm quyền tài khoản khách hàng", "Customer account takeover"),
    "impersonation": ("Mạo danh khách hàng hoặc ALS", "Impersonation of customers or ALS"),
    "bulk_access": ("Truy cập hàng loạt dữ liệu khách hàng", "Bulk access to customer data"),
    "integrity": ("Thay đổi trái phép trên máy chủ", "Unauthorised change on the server"),
    "intrusion": ("Tấn công xâm nhập ứng dụng web", "Intrusion attempt on the web application"),
}


class Harm(StrEnum):
    """What happened to one customer, worst first."""

    EXPORTED = "exported"  # their record left in an export
    ACCOUNT = "account"  # someone signed in to their account
    ACTED_AS = "acted_as"  # a staff member acted in their account
    READ = "read"  # their record was viewed
    TARGETED = "targeted"  # sign-ins were tried on their account
    SERVER = "server"  # the server holding their data was attacked


SIGNED_IN = {"compromise_after_failures", "mfa_fatigue", "new_device_sensitive_change"}
SIGNED_IN |= {"impossible_travel", "session_hijack"}
GUESSED = {"brute_force", "credential_stuffing", "password_spray", "distributed_guessing"}


def records_in(incident: Incident) -> int:
    """Records the evidence counts (an export's record_count), else the customers named."""
    counted = 0
    for reference in incident.evidence:
        count = reference.get("labels.record_count")
        if isinstance(count, int | str) and str(count).isdigit():
            counted += int(count)
    return max(counted, accounts_in(incident))


def accounts_in(incident: Incident) -> int:
    return max(incident.affected_count, len(incident.affected_customers))


def sources_in(incident: Incident) -> int:
    found = {str(r["source.ip"]) for r in incident.evidence if r.get("source.ip")}
    return len(found | ({incident.entities["ip"]} if "ip" in incident.entities else set()))


def describe(incident: Incident) -> tuple[str, str]:
    """The act in Vietnamese and English, with the evidence's numbers."""
    vi, en = ACTS.get(incident.detector) or FAMILIES.get(
        incident.family, ("Hành vi xâm phạm dữ liệu khách hàng", "Breach of customer data")
    )
    numbers = {
        "accounts": f"{accounts_in(incident):,}".replace(",", "."),
        "attempts": f"{max(incident.event_count, len(incident.evidence)):,}".replace(",", "."),
        "records": f"{records_in(incident):,}".replace(",", "."),
        "sources": str(max(sources_in(incident), 1)),
    }
    english = {k: v.replace(".", ",") for k, v in numbers.items()}
    return vi.format(**numbers), en.format(**english)


def harm_of(incident: Incident, own: Sequence[Mapping[str, Any]]) -> Harm:
    """What the incident did to one customer, from its detector and their own evidence."""
    actions = {str(r.get("event.action", "")) for r in own}
    name = incident.detector.partition(".")[2]
    if "customer-record-export" in actions or name in ("export_drop", "volume_anomaly"):
        return Harm.EXPORTED
    if name == "staff_impersonation" or "impersonation-start" in actions:
        return Harm.ACTED_AS
    signed_in = any(
        r.get("event.action") == "user-login" and r.get("event.outcome") == "success" for r in own
    )
    if name in SIGNED_IN or signed_in:
        return Harm.ACCOUNT
    if name in GUESSED:
        return Harm.TARGETED
    if incident.family in ("bulk_access", "impersonation"):
        return Harm.READ
    return Harm.SERVER
