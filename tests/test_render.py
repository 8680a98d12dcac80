"""Alert emails: the subject users expect, personal data masked, hostile content escaped."""

from __future__ import annotations

from monitor.findings import Severity
from monitor.incidents import Incident, Status
from notifications.render import render_alert


def incident(
    title: str,
    entities: dict[str, str],
    severity: Severity = Severity.HIGH,
    detector: str = "account_takeover.brute_force",
) -> Incident:
    return Incident(
        id="a1b2c3d4e5-1",
        detector=detector,
        family="account_takeover",
        severity=severity,
        status=Status.OPEN,
        title=title,
        entities=entities,
        first_seen="2026-03-02T02:00:00.000Z",
        last_seen="2026-03-02T02:05:00.000Z",
        event_count=7,
        affected_customers=("C-1001",),
        evidence=(
            {
                "id": "auth.log:0",
                "@timestamp": "2026-03-02T02:00:00.000Z",
                "event.action": "ssh-login",
                "event.outcome": "failure",
                "user.name": "cust-1001",
                "source.ip": "203.0.113.7",
            },
        ),
        timeline=(),
    )


def render(*incidents: Incident) -> tuple[str, str, str]:
    links = {i.id: f"http://vigil/ack/{i.id}" for i in incidents}
    rendered = render_alert(incidents, links, "http://vigil", {}, "level 1")
    return rendered.subject, rendered.text, rendered.html


def test_subject_names_severity_family_detector_and_source() -> None:
    subject, _, _ = render(incident("Brute force from 203.0.113.7", {"ip": "203.0.113.7"}))
    assert subject == "[Vigil][HIGH] Account takeover: brute force from 203.0.113.7"


def test_customer_usernames_are_masked_everywhere() -> None:
    item = incident(
        "Login as cust-1001 after 7 failures",
        {"user": "cust-1001"},
        detector="account_takeover.compromise_after_failures",
    )
    subject, text, html = render(item)
    for part in (subject, text, html):
        assert "cust-1001" not in part
    assert "c***" in text and "http://vigil/ack/a1b2c3d4e5-1" in text


def test_hostile_content_is_escaped_in_html() -> None:
    _, _, html = render(
        incident('<script>alert("x")</script> from 203.0.113.7', {"ip": "203.0.113.7"})
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
