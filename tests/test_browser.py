"""A person at the dashboard, in Debian's Chromium: the live list, acknowledging, declaring a
breach and following its notices; a role without customer access never sees customer data;
and schemathesis finds no server error in the API. Screenshots go to docs/."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis as sync_redis
from playwright.sync_api import Browser, Page, expect, sync_playwright

from monitor.demo_mail import free_port
from tests.mailbox import Mailbox, running_mailbox
from tests.processes import start_vigil, vigil_command, wait_for, with_env, write_config

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
DOCS = Path(__file__).parents[1] / "docs"
CONFIG = Path(__file__).parents[1] / "config"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="make test installs it"),
]


@dataclass(frozen=True)
class Live:
    url: str
    auth_log: Path
    audit_log: Path
    token: str
    mailbox: Mailbox


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("live")
    auth_log, audit_log = folder / "auth.log", folder / "audit.json"
    auth_log.touch()
    audit_log.touch()
    port = free_port()
    prefix = "browser-test"
    client = sync_redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    with running_mailbox() as (mailbox, mail_port):
        config = write_config(
            folder / "vigil.yaml",
            {
                "sources": [
                    {"path": str(auth_log), "format": "sshd", "start_at": "beginning"},
                    {"path": str(audit_log), "format": "ecs", "start_at": "beginning"},
                ],
                "smtp": {"port": mail_port},
                "web": {"port": port},
                "alerts": {"group_wait": "1s", "public_url": f"http://127.0.0.1:{port}"},
                "directories": {
                    "staff": str(CONFIG / "staff.csv"),
                    "customers": str(CONFIG / "customers.csv"),
                },
            },
        )
        env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": prefix, "VIGIL_SECRET_KEY": "k"}
        for role in ("internal_control", "oncall"):
            subprocess.run(
                vigil_command(config, "users", "add", role, "--role", role, "--password-stdin"),
                input=PASSWORD + "\n",
                text=True,
                env=with_env(env),
                check=True,
                capture_output=True,
            )
        token = subprocess.run(
            vigil_command(config, "tokens", "add", "fuzz", "--role", "internal_control"),
            text=True,
            env=with_env(env),
            check=True,
            capture_output=True,
        ).stdout.split()[-1]
        service = start_vigil(config, "all", env)
        url = f"http://127.0.0.1:{port}"
        try:
            assert wait_for(lambda: responds(url)), "the dashboard did not come up"
            yield Live(url, auth_log, audit_log, token, mailbox)
        finally:
            service.terminate()
            service.wait(timeout=30)
            client.close()


def responds(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/login", timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def log_in(browser: Browser, live: Live, role: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{live.url}/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Incidents")
    return page


def append(path: Path, lines: list[str]) -> None:
    with path.open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def brute_force(ip: str) -> list[str]:
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))  # the zone Vigil reads syslog times in
    return [
        f"{now:%b %e %H:%M:%S} web-01 sshd[7{n}]: Failed password for root from {ip} "
        f"port {40000 + n} ssh2"
        for n in range(6)
    ]


def takeover(user: str, customer: str, ip: str) -> list[str]:
    now = datetime.now(UTC)
    return [
        json.dumps(
            {
                "@timestamp": (now + timedelta(seconds=n)).isoformat(),
                "event": {"action": "user-login", "outcome": "success" if n == 5 else "failure"},
                "user": {"name": user},
                "source": {"ip": ip},
                "labels": {"customer_id": customer},
            }
        )
        for n in range(6)
    ]


def test_internal_control_watches_acknowledges_and_declares(browser: Browser, live: Live) -> None:
    page = log_in(browser, live, "internal_control")
    append(live.auth_log, brute_force("203.0.113.7"))
    row = page.locator("#incident-rows a", has_text="Brute force from 203.0.113.7")
    expect(row).to_be_visible(timeout=30_000)  # arrived live, no reload
    page.screenshot(path=str(DOCS / "incidents.png"), full_page=True)
    row.click()
    page.click("text=Acknowledge")
    expect(page.locator("p.muted").first).to_contain_text("acknowledged")

    append(live.audit_log, takeover("cust-1003", "C-1003", "198.51.100.23"))
    page.goto(live.url)
    taken = page.locator("#incident-rows a", has_text="Login as cust-1003")
    expect(taken).to_be_visible(timeout=30_000)
    taken.click()
    expect(page.locator("body")).to_contain_text("C-1003")
    page.screenshot(path=str(DOCS / "incident.png"), full_page=True)
    page.fill("input[name=summary]", "Customer account taken over on the website")
    page.click("text=Declare a breach")
    expect(page.locator("h1")).to_contain_text("Breach BR-")
    expect(page.locator("#clock")).to_contain_text("left")
    for _ in range(60):  # the respond role sends the notices; the page shows their progress
        if "sent" in page.locator("table").inner_text():
            break
        time.sleep(0.5)
        page.reload()
    expect(page.locator("table")).to_contain_text("sent")
    page.screenshot(path=str(DOCS / "breach.png"), full_page=True)
    page.close()


def test_oncall_never_sees_customer_data(browser: Browser, live: Live) -> None:
    append(live.audit_log, takeover("cust-1017", "C-1017", "198.51.100.24"))
    page = log_in(browser, live, "oncall")
    taken = page.locator("#incident-rows a", has_text="after 5 failures from 198.51.100.24")
    expect(taken).to_be_visible(timeout=30_000)
    assert "cust-1017" not in page.content()
    taken.click()
    assert "cust-1017" not in page.content() and "C-1017" not in page.content()
    page.goto(f"{live.url}/audit")
    expect(page.locator("body")).to_contain_text("may not see this")
    page.close()


def test_schemathesis_finds_no_server_error(live: Live) -> None:
    result = subprocess.run(
        [
            str(Path(__file__).parents[1] / ".venv" / "bin" / "schemathesis"),
            "run",
            f"{live.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "-H",
            f"Authorization: Bearer {live.token}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
