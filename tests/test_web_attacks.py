"""Web attacks detected from nginx access and error logs alone, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.engine import Detection
from monitor.parsers import FORMATS, LineContext
from monitor.parsers.routes import RouteMap
from monitor.settings import Settings
from monitor.store.keys import Keys
from tests.test_cli import vigil

START = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
VISITOR, GOOGLE = "203.0.113.50", "66.249.66.1"
PROBER, SECRETS, SQLMAP, XSS, CRAWLER = (f"198.51.100.{n}" for n in (20, 30, 40, 50, 60))
GUESSER, BASIC_AUTH, SCRAPER = "198.51.100.70", "198.51.100.80", "198.51.100.90"


def line(ip: str, at: float, request: str, status: int, agent: str = BROWSER) -> tuple[float, str]:
    stamp = (START + timedelta(seconds=at)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    clf = stamp.strftime("%d/%b/%Y:%H:%M:%S %z")
    return at, f'{ip} - - [{clf}] "{request} HTTP/1.1" {status} 512 "-" "{agent}"'


def access_log() -> str:
    lines = [
        *(line(VISITOR, i * 20, f"GET {p}", 200) for i, p in enumerate(VISITOR_PAGES)),
        line(VISITOR, 30, "GET /favicon.ico", 404),
        *(line(GOOGLE, i * 0.3, f"GET /news/{i}", 200, GOOGLEBOT) for i in range(400)),
        *(line(GOOGLE, 130 + i, f"GET /old/{i}", 404, GOOGLEBOT) for i in range(15)),
        *(line(PROBER, 5 + i * 0.5, f"GET /{w}", 404) for i, w in enumerate(WORDLIST)),
        line(SECRETS, 40, "GET /.env", 404),
        line(SECRETS, 41, "GET /.git/config", 404),
        line(SQLMAP, 50, "GET /tracking?awb=1%27%20AND%20SLEEP(5)--%20-", 200, "sqlmap/1.7.2"),
        line(XSS, 60, r"GET /customers/search?q=\x22><script>alert(1)</script>", 200),
        *(line(CRAWLER, 70 + i, f"GET /tracking/{i}", 200) for i in range(600)),
        *(line(GUESSER, 80 + i * 3, "POST /login", 200, "python-requests/2.31") for i in range(8)),
        *(line(SCRAPER, 90 + i * 2, f"GET /customers/C-{2000 + i}", 200) for i in range(150)),
    ]
    return "\n".join(text for _, text in sorted(lines)) + "\n"


VISITOR_PAGES = ["/", "/login", "/customers/C-1001", "/static/app.js", "/tracking?awb=1"]
WORDLIST = [f"{word}{n}" for n in range(3) for word in ("admin", "backup", "test", "old", "tmp")]


def error_log() -> str:
    return "".join(
        f'2026/01/05 10:0{i}:00 [error] 812#812: *{i} user "admin": password mismatch, '
        f'client: {BASIC_AUTH}, server: als.com.vn, request: "GET /admin HTTP/1.1"\n'
        for i in range(6)
    )


def test_scan_names_the_attackers_and_not_the_visitor_or_googlebot(
    tmp_path: Path, redis_url: str
) -> None:
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    access.write_text(access_log())
    errors.write_text(error_log())
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "web-attacks"}
    result = vigil("scan", str(access), str(errors), "--format", "nginx", "--json", env=env)
    assert result.returncode == 0, result.stderr
    incidents = [json.loads(text) for text in result.stdout.splitlines()]
    by_ip: dict[str, set[str]] = {}
    for incident in incidents:
        by_ip.setdefault(incident["entities"].get("ip", ""), set()).add(incident["detector"])
    assert "intrusion.http_probing" in by_ip[PROBER]
    assert "intrusion.sensitive_files" in by_ip[SECRETS]
    assert {"intrusion.scanner_agent", "intrusion.injection"} <= by_ip[SQLMAP]
    assert "intrusion.injection" in by_ip[XSS]
    assert "bulk_access.crawling" in by_ip[CRAWLER]
    assert "account_takeover.brute_force" in by_ip[BASIC_AUTH]
    # Through the route map: the login form answered 200 again eight times, and a script
    # reading 150 customer records one after another.
    assert "account_takeover.brute_force" in by_ip[GUESSER]
    assert "bulk_access.scraping" in by_ip[SCRAPER]
    scraping = next(i for i in incidents if i["detector"] == "bulk_access.scraping")
    # Every record and customer counted, not the first 100; the JSON lists the first 100.
    assert scraping["event_count"] == scraping["affected_customers_count"] == 150
    assert len(scraping["affected_customers"]) == 100
    crawling = next(i for i in incidents if i["detector"] == "bulk_access.crawling")
    assert crawling["event_count"] == 600  # every page, not the 50 shown
    assert VISITOR not in by_ip and GOOGLE not in by_ip
    probing = next(i for i in incidents if i["detector"] == "intrusion.http_probing")
    assert probing["event_count"] == len(WORDLIST)  # one incident, every request counted


async def test_login_failures_in_the_access_log_are_a_brute_force(
    redis: aioredis.Redis, settings: Settings
) -> None:
    routes = RouteMap.from_settings(settings.routes)
    context = LineContext("/var/log/nginx/access.log", ZoneInfo("UTC"), START)
    events = [
        routes.apply(event)
        for offset, text in enumerate(access_log().splitlines())
        if (event := FORMATS["nginx"].parse(text, offset, context)) is not None
    ]
    logins = [e for e in events if e.action == "user-login"]
    assert {e.source_ip for e in logins} == {GUESSER}  # the visitor only GETs the form
    assert any(e.action == "customer-record-view" and e.customer_id == "C-1001" for e in events)
    detection = Detection(redis, Keys("vigil"), build_detectors(settings), isolate=False)
    findings = await detection.process(events)
    brute = [
        f for f in findings if f.detector == "account_takeover.brute_force" and not f.extends_only
    ]
    assert brute and all(f.entities == {"ip": GUESSER} for f in brute)
