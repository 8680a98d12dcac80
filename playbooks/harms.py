"""What was exposed, what may follow, and what a person can do: from harms and data types."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from monitor.incidents import Incident
from playbooks.acts import Harm, harm_of
from playbooks.datatypes import BY_KEY, LOGS, PROFILE, DataType, columns_of, data_type
from playbooks.evidence import Line

CONTACT = {"full_name", "phone", "email", "address"}


def types_of(harm: Harm, columns: Iterable[str]) -> list[DataType]:
    """An export exposes the columns it names; a way into the account exposes the profile."""
    named = [data_type(c) for c in columns]
    if named:
        return named
    if harm is Harm.TARGETED:
        return [BY_KEY["username"]]
    return [*PROFILE, *LOGS]


def exposed_types(incidents: Sequence[Incident]) -> list[DataType]:
    """Every data type any incident exposed, every column seen included."""
    found: list[DataType] = []
    for incident in incidents:
        columns = [c for r in incident.evidence for c in columns_of(r)]
        found += types_of(harm_of(incident, incident.evidence), columns)
    return found


def consequences(types: Collection[DataType], incidents: Sequence[Incident]) -> tuple[Line, ...]:
    """Likely consequences for the people concerned (Decree 356 Art 28(1)(c))."""
    keys = {t.key for t in types}
    harms = {harm_of(i, i.evidence) for i in incidents}
    return risks(keys, harms, [t for t in types if t.outside_policy])


def risks(keys: set[str], harms: set[Harm], outside: Sequence[DataType]) -> tuple[Line, ...]:
    lines = []
    if harms & {Harm.ACCOUNT, Harm.ACTED_AS} or "password" in keys:
        lines.append(
            Line(
                "Tài khoản có thể bị người khác dùng để xem, sửa thông tin hoặc giao dịch thay "
                "chủ tài khoản; mật khẩu dùng chung ở nơi khác có thể bị lợi dụng.",
                "The account may be used by others to view or change its details or to "
                "transact in its holder's name; a password reused elsewhere may be abused.",
            )
        )
    if keys & CONTACT:
        lines.append(
            Line(
                "Lừa đảo có chủ đích qua điện thoại, tin nhắn hoặc email, dùng thông tin cá nhân "
                "để tạo lòng tin.",
                "Targeted scam calls, messages or emails that use personal details to seem "
                "genuine.",
            )
        )
    if "date_of_birth" in keys or outside:
        vi = ["Ngày sinh"] * ("date_of_birth" in keys) + [t.vi for t in outside]
        en = ["date of birth"] * ("date_of_birth" in keys) + [t.en for t in outside]
        lines.append(
            Line(
                f"Giả mạo danh tính bằng dữ liệu bị lộ: {'; '.join(vi)}.",
                f"Identity fraud using what was exposed: {'; '.join(en)}.",
            )
        )
    if "business_name" in keys:
        lines.append(
            Line(
                "Lừa đảo nhắm vào doanh nghiệp, giả danh ALS hoặc đối tác.",
                "Fraud aimed at the business, posing as ALS or a partner.",
            )
        )
    if not lines:
        lines.append(
            Line(
                "Nguy cơ bị truy cập trái phép tiếp theo vào dữ liệu lưu trên máy chủ.",
                "A risk of further unauthorised access to the data held on the server.",
            )
        )
    return tuple(lines)


def advice(harms: set[Harm], keys: set[str], email_changed: bool) -> tuple[Line, ...]:
    """Only the advice that fits what happened to this customer."""
    lines = []
    if harms & {Harm.ACCOUNT, Harm.ACTED_AS, Harm.TARGETED} or "password" in keys:
        lines.append(
            Line(
                "Đổi mật khẩu tài khoản ALS, dùng mật khẩu mới chưa từng dùng ở nơi khác; nếu "
                "quý khách dùng cùng mật khẩu cho dịch vụ khác, hãy đổi cả ở đó.",
                "Change your ALS password to a new one you have not used anywhere else; if you "
                "use the same password for another service, change it there too.",
            )
        )
    if harms & {Harm.ACCOUNT, Harm.ACTED_AS}:
        lines.append(
            Line(
                "Kiểm tra thông tin và lịch sử giao dịch trong tài khoản; báo ngay cho ALS nếu "
                "thấy thay đổi quý khách không thực hiện.",
                "Check your account details and transactions, and tell ALS at once of any change "
                "you did not make.",
            )
        )
    if email_changed:
        lines.append(
            Line(
                "Địa chỉ email của tài khoản đã bị thay đổi trong thời gian xảy ra sự cố, nên "
                "thư này gửi đến địa chỉ trước đó; hãy liên hệ ALS để khôi phục.",
                "Your account's email address was changed during the incident, so this letter "
                "goes to your previous address; contact ALS to restore it.",
            )
        )
    if keys & CONTACT or "date_of_birth" in keys:
        lines.append(
            Line(
                "Cảnh giác với cuộc gọi, tin nhắn, email dùng tên, số điện thoại hay địa chỉ của "
                "quý khách; không cung cấp mật khẩu hay mã xác thực cho bất kỳ ai.",
                "Be wary of calls, messages or emails that use your name, phone number or "
                "address; give your password or codes to no one.",
            )
        )
    lines.append(
        Line(
            "ALS không bao giờ hỏi mật khẩu của quý khách qua điện thoại hay email.",
            "ALS will never ask for your password by phone or email.",
        )
    )
    return tuple(lines)
