"""A bad day in Debian's Chromium: a scanner raises 520 brute-force incidents while a website
file changes; the family filter finds the one that matters, the counts and the chart cover
every incident, and the flood folds into one row per detector. Meanwhile a role changes under
an open page, a guesser is slowed down, and a forged user name forges no evidence.
Screenshots in docs/."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis as sync_redis
from playwright.sync_api import Browser, Page, expect

from monitor.demo_mail import free_port
from tests.mailbox import running_mailbox
from tests.processes import start_vigil, vigil_command, wait_for, with_env, write_config
from tests.test_browser import CHROMIUM, DOCS, PASSWORD, browser, brute_force, responds

__all__ = ["browser"]  # fixture
ATTACKERS = 520
ROLE = "internal_control"
BRUTE_FORCE = "detector=account_takeover.brute_force"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="make test installs it"),
]


@dataclass(frozen=True)
class Flood:
    url: str
    token: str
    config: Path
    env: dict[str, str]
    audit_log: Path

    def users(self, *args: str, given: str = "") -> None:
        """`vigil users ...` against the running service's Redis."""
        subprocess.run(
            vigil_command(self.config, "users", *args),
            input=given,
            text=True,
            env=with_env(self.env),
            check=True,
            capture_output=True,
        )


def total(flood: Flood, query: str) -> int:
    """How many incidents the API says the query selects."""
    request = urllib.request.Request(
        f"{flood.url}/api/incidents?limit=1&{query}",
        headers={"Authorization": f"Bearer {flood.token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return int(answer.headers["X-Total-Count"])


@pytest.fixture(scope="module")
def flood(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Flood]:
    folder = tmp_path_factory.mktemp("flood")
    auth_log, site, audit_log = folder / "auth.log", folder / "site", folder / "audit.json"
    auth_log.touch()
    audit_log.touch()
    site.mkdir()
    (site / "index.php").write_text("<?php echo 'ALS';\n")
    prefix, port = "flood-test", free_port()
    client = sync_redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    with running_mailbox() as (_, mail_port):
        config = write_config(
            folder / "vigil.yaml",
            {
                "sources": [
                    {"path": str(auth_log), "format": "sshd", "start_at": "beginning"},
                    {"path": str(audit_log), "format": "ecs", "start_at": "beginning"},
                ],
                "folders": {"integrity": [str(site / "*.php")], "poll_interval": "1s"},
                "detectors": {"file_integrity": {"maintenance": []}},
                "smtp": {"port": mail_port},
                "web": {"port": port},
            },
        )
        env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": prefix, "VIGIL_SECRET_KEY": "k"}
        subprocess.run(
            vigil_command(
                config, "users", "add", "hoa", "--role", "internal_control", "--password-stdin"
            ),
            input=PASSWORD + "\n",
            text=True,
            env=with_env(env),
            check=True,
            capture_output=True,
        )
        token = subprocess.run(
            vigil_command(config, "tokens", "add", "watch", "--role", ROLE),
            text=True,
            env=with_env(env),
            check=True,
            capture_output=True,
        ).stdout.split()[-1]
        service = start_vigil(config, "all", env)
        url = f"http://127.0.0.1:{port}"
        try:
            assert wait_for(lambda: responds(url)), "the dashboard did not come up"
            files = f"{prefix}:{{events}}:files"
            assert wait_for(lambda: client.hexists(files, str(site / "index.php")))
            lines = [
                line
                for n in range(ATTACKERS)
                for line in brute_force(f"198.51.{n // 250}.{n % 250 + 1}")
            ]
            auth_log.write_text("\n".join(lines) + "\n")
            (site / "index.php").write_text("<?php system($_GET['c']);\n")
            flooded = Flood(url, token, config, env, audit_log)
            assert wait_for(lambda: total(flooded, BRUTE_FORCE) >= ATTACKERS, 120)
            assert wait_for(lambda: total(flooded, "family=integrity") == 1, 60)
            yield flooded
        finally:
            service.terminate()
            service.wait(timeout=90)
            client.close()


def log_in(browser: Browser, url: str, name: str = "hoa") -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Incidents")
    return page


def test_the_integrity_incident_shows_under_the_flood(browser: Browser, flood: Flood) -> None:
    page = log_in(browser, flood.url)
    everything = total(flood, "")
    assert everything > ATTACKERS  # other detectors see the scanner too
    expect(page.locator("#total")).to_have_text(f"{everything} match these filters")
    assert page.locator("#incident-rows tr").count() == 100
    page.select_option("select[name=family]", "integrity")
    page.click("form.filters button")
    rows = page.locator("#incident-rows tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("index.php changed in")
    expect(rows.first).to_contain_text("HIGH")
    expect(page.locator("#total")).to_have_text("1 match these filters")
    assert "family=integrity" in page.url
    rows.first.locator("a").click()  # the incident page says what to do and what it is
    expect(page.locator("main")).to_contain_text("outside a maintenance window")
    expect(page.locator("main a", has_text="T1505.003")).to_be_visible()
    page.go_back()
    page.goto(f"{flood.url}/?status=open&group=detector")
    # One more than the attackers: the user they all guessed at is reported too.
    raised = total(flood, f"status=open&{BRUTE_FORCE}")
    assert raised >= ATTACKERS
    flood_row = page.locator("#groups tr", has_text="account_takeover.brute_force")
    expect(flood_row).to_contain_text(f"{raised} account_takeover.brute_force incidents")
    page.screenshot(path=str(DOCS / "flood.png"), full_page=True)
    flood_row.locator("a").click()
    expect(page.locator("#total")).to_have_text(f"{raised} match these filters")
    page.close()


def test_a_role_change_reaches_an_open_page(browser: Browser, flood: Flood) -> None:
    flood.users("add", "minh", "--role", ROLE, "--password-stdin", given=PASSWORD + "\n")
    page = log_in(browser, flood.url, "minh")
    expect(page.locator("header")).to_contain_text("Audit log")
    flood.users("set-role", "minh", "--role", "viewer")
    # No click, no reload: the live stream tells the page, which is drawn again as a viewer.
    expect(page.locator("header .who")).to_have_text("minh · viewer", timeout=15_000)
    expect(page.locator("header")).not_to_contain_text("Audit log")
    flood.users("disable", "minh")
    expect(page.locator("input[name=password]")).to_be_visible(timeout=15_000)
    page.close()


def test_a_guesser_is_slowed_down_and_the_owner_still_gets_in(
    browser: Browser, flood: Flood
) -> None:
    flood.users("add", "lan", "--role", "oncall", "--password-stdin", given=PASSWORD + "\n")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    answers: list[str] = []
    # Three free failures, then each wait doubles: a slow machine may outlast the first waits.
    while len(answers) < 9 and "too many" not in "".join(answers[-1:]):
        page.goto(f"{flood.url}/login")
        page.fill("input[name=username]", "lan")
        page.fill("input[name=password]", "guess guess guess")
        page.click("button[type=submit]")
        answers.append(page.locator("p.error").inner_text())
    assert answers[:3] == ["wrong user name or password"] * 3
    expect(page.locator("p.error")).to_contain_text("too many failed logins")
    page.screenshot(path=str(DOCS / "login-throttled.png"))
    flood.users("unlock", "lan")
    page.close()
    log_in(browser, flood.url, "lan").close()


def test_a_forged_user_name_forges_no_evidence(browser: Browser, flood: Flood) -> None:
    forged = "cust-1009\u001f10.66.66.66\u001fforged-session"
    now = datetime.now(UTC)
    lines = [
        json.dumps(
            {
                "@timestamp": (now + timedelta(seconds=n)).isoformat(),
                "event": {"action": "user-login", "outcome": "success" if n == 5 else "failure"},
                "user": {"name": forged},
                "source": {"ip": "198.51.100.23"},
                "labels": {"customer_id": "C-1009"},
            }
        )
        for n in range(6)
    ]
    with flood.audit_log.open("a") as handle:
        handle.write("\n".join(lines) + "\n")
    page = log_in(browser, flood.url)
    page.goto(f"{flood.url}/?entity=198.51.100.23")
    taken = page.locator("#incident-rows a", has_text="after 5 failures")
    expect(taken).to_be_visible(timeout=30_000)
    taken.click()
    evidence = page.locator("table").nth(0)
    addresses = evidence.locator("tr td:nth-child(5)").all_inner_texts()
    assert addresses and set(addresses) == {"198.51.100.23"}
    cells = evidence.locator("td").all_inner_texts()
    assert "10.66.66.66" not in cells and "forged-session" not in cells
    page.close()


def test_oncall_walks_the_list_by_keyboard_on_a_phone(browser: Browser, flood: Flood) -> None:
    flood.users("add", "thu", "--role", "oncall", "--password-stdin", given=PASSWORD + "\n")
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{flood.url}/login")
    page.fill("input[name=username]", "thu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{flood.url}/?{BRUTE_FORCE}&status=open")
    expect(page.locator("#incident-rows tr")).to_have_count(100)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing off-screen
    page.screenshot(path=str(DOCS / "phone.png"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    current = page.locator("#incident-rows tr.current")
    expect(current).to_have_count(1)
    chosen = current.locator("input[name=id]").get_attribute("value")
    assert chosen
    with page.expect_navigation():
        page.keyboard.press("a")
    page.goto(f"{flood.url}/incidents/{chosen}")
    expect(page.locator("main")).to_contain_text("acknowledged")
    page.close()
