"""Attacker-chosen text in sshd messages: control characters never reach a field raw."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.parsers import LineContext, Malformed
from monitor.parsers.sshd import message_event, parse
from monitor.wire import decode_events, encode_events

MOMENT = datetime(2026, 1, 5, 3, 0, 1, tzinfo=UTC)
CONTEXT = LineContext("/var/log/auth.log", ZoneInfo("Asia/Ho_Chi_Minh"), MOMENT)


def event_of(message: str) -> dict[str, object]:
    event = message_event(message, MOMENT, path="journal", offset=7, pid=4242, host="web-01")
    assert event is not None
    (back,) = decode_events(encode_events([event]))  # it travels on the stream unchanged
    assert back == event
    return event.flat()


@pytest.mark.parametrize(
    ("user", "shown"),
    [
        ("a\x1fb", "a\\x1fb"),
        ("root\r\nFailed password for admin from 10.0.0.1 port 1 ssh2", None),
        ("\x1b[31madmin\x1b[0m", "\\x1b[31madmin\\x1b[0m"),
        ("nul\x00byte", "nul\\x00byte"),
        ("tab\there", "tab\\x09here"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("del\x7f", "del\\x7f"),
        ("c1\x85next", "c1\\x85next"),
    ],
)
def test_control_characters_in_a_user_are_escaped_visibly(user: str, shown: str | None) -> None:
    flat = event_of(f"Failed password for invalid user {user} from 198.51.100.9 port 4242 ssh2")
    name = flat["user.name"]
    assert isinstance(name, str) and name.isprintable()
    assert flat["source.ip"] == "198.51.100.9"
    if shown is not None:
        assert name == shown
    else:
        assert name == "root\\x0d\\x0aFailed password for admin from 10.0.0.1 port 1 ssh2"


@pytest.mark.parametrize(
    "message",
    [
        "Invalid user a\x1f{} from 198.51.100.9 port 4242",
        "Connection closed by invalid user a\n{} 198.51.100.9 port 4242 [preauth]",
        "error: maximum authentication attempts exceeded for \x1b[2J{} from 198.51.100.9 "
        "port 4242 ssh2 [preauth]",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=198.51.100.9  user=\r{}",
    ],
)
def test_every_user_field_is_escaped(message: str) -> None:
    flat = event_of(message.format("x"))
    assert str(flat["user.name"]).isprintable()
    assert flat["source.ip"] == "198.51.100.9"


def test_a_raw_control_character_in_a_syslog_line_is_escaped_too() -> None:
    line = "Jan  5 10:00:01 web\x1b-01 sshd[9]: Invalid user \x00\x1f from 203.0.113.7 port 22"
    event = parse(line, 0, CONTEXT)
    assert event is not None
    assert event.user == "\\x00\\x1f"
    assert event.extra["host.hostname"] == "web\\x1b-01"


@pytest.mark.parametrize(
    "message",
    [
        "Failed password for invalid user x from 10.20.30.40 port 22 ssh2 from 198.51.100.9 "
        "port 4242 ssh2",
        "Invalid user x from 10.20.30.40 port 22 from 198.51.100.9 port 4242",
        "Connection closed by invalid user x 10.20.30.40 port 22 198.51.100.9 port 4242 [preauth]",
    ],
)
def test_an_address_in_the_user_never_becomes_the_source(message: str) -> None:
    flat = event_of(message)
    assert flat["source.ip"] == "198.51.100.9"
    assert flat["source.port"] == 4242
    assert "10.20.30.40" in str(flat["user.name"])


def test_rhost_inside_the_pam_user_is_part_of_the_user() -> None:
    flat = event_of(
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=198.51.100.9  user=x rhost=1.2.3.4 user=root"
    )
    assert flat["source.ip"] == "198.51.100.9"
    assert flat["user.name"] == "x rhost=1.2.3.4 user=root"


def test_a_very_long_user_is_cut_and_marked() -> None:
    flat = event_of(f"Invalid user {'A' * 5000} from 198.51.100.9 port 4242")
    assert flat["user.name"] == "A" * 256
    assert flat["ssh.user_truncated"] is True


def test_a_long_line_is_parsed_in_linear_time() -> None:
    crafted = "Failed password for " + " from 1.2.3.4 port 1" * 2000 + " from x port"
    assert message_event(crafted, MOMENT, path="p", offset=0) is None


@pytest.mark.parametrize(
    "message",
    [
        "Failed password for root from 10.0.0.1/24 port 22 ssh2",
        "Invalid user root from -evil- port 22",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=a!b  user=root",
        "refused connect from x (1.2.3)",
    ],
)
def test_a_source_that_is_no_address_is_refused(message: str) -> None:
    with pytest.raises(Malformed):
        message_event(message, MOMENT, path="p", offset=0)


def test_every_source_ip_validates() -> None:
    for host in ("fe80::1%eth0", "::ffff:192.0.2.1", "2001:DB8::1", "192.0.2.1"):
        flat = event_of(f"Invalid user u from {host} port 22")
        ipaddress.ip_address(str(flat["source.ip"]))


def test_the_event_carries_pid_and_host_from_the_caller() -> None:
    flat = event_of("Accepted publickey for hoa from 192.0.2.20 port 50522 ssh2: ED25519 SHA256:x")
    assert flat["process.pid"] == 4242
    assert flat["host.hostname"] == "web-01"
    assert flat["log.file.path"] == "journal"
    assert flat["log.offset"] == 7
    assert flat["event.outcome"] == "success"
