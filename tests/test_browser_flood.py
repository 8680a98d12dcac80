"""A bad day in Debian's Chromium: a scanner raises 520 brute-force incidents while a website
file changes; the family filter finds the one that matters, the counts and the chart cover
every incident, and the flood folds into one row per detector. Screenshot in docs/."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
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
    auth_log, site = folder / "auth.log", folder / "site"
    auth_log.touch()
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
                "sources": [{"path": str(auth_log), "format": "sshd", "start_at": "beginning"}],
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
            flooded = Flood(url, token)
            assert wait_for(lambda: total(flooded, BRUTE_FORCE) >= ATTACKERS, 120)
            assert wait_for(lambda: total(flooded, "family=integrity") == 1, 60)
            yield flooded
        finally:
            service.terminate()
            service.wait(timeout=90)
            client.close()


def log_in(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "hoa")
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
