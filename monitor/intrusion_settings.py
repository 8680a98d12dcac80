"""Parameters of the web detectors (intrusion family, and crawling), under `detectors:`."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta

from pydantic import Field, field_validator

from monitor.config_types import Duration, Section


def check_patterns(value: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"{pattern!r} is not a regular expression: {error}") from None
    return value


class HttpProbingSettings(Section):
    # CrowdSec http-probing: 10 distinct paths answered 400/403/404, leaking one per 10 s.
    paths: int = Field(default=10, ge=2)  # distinct failing non-static paths from one IP ...
    window: Duration = timedelta(seconds=100)  # ... within this window
    statuses: tuple[int, ...] = (400, 401, 403, 404, 405)


class SensitiveFilesSettings(Section):
    paths: int = Field(default=2, ge=1)  # distinct sensitive paths from one IP ...
    window: Duration = timedelta(minutes=10)  # ... within this window
    # Regexes searched in the lower-cased, percent-decoded path: files no visitor asks for.
    patterns: tuple[str, ...] = (
        r"/\.(?:env|git|svn|hg|bzr|cvs|ds_store|htaccess|htpasswd|aws|ssh|docker|vscode|idea)\b",
        r"/\.(?:\w*_history|bashrc|profile|history|forward|netrc|config|npmrc|rhosts|passwd)\b",
        r"/\.(?:flaskenv|pgpass|my\.cnf)\b",
        r"/(?:my|php|db|sql|web)?(?:sql)?admin/|/mysql/|/setup\.php",
        r"/wp-(?:login|admin|config|content|includes)|/xmlrpc\.php",
        r"php-?my-?admin|/pma/|/myadmin|/adminer|/phpinfo|/server-(?:status|info)\b",
        r"/(?:backup|dump|db|database)[^/]*\.(?:sql|zip|tar|gz|tgz|rar|7z)$",
        r"\.(?:sql|bak|old|orig|swp|sqlite3?|db|mdb|pem|key|ini|log|conf)$",
        r"/(?:config|configuration|settings|web|credentials|secrets)\.(?:php|json|ya?ml|config)$",
        r"/(?:cgi-bin|actuator|vendor/phpunit|solr|manager/html|jmx-console|boaform|hnap1)\b",
        r"/(?:_profiler|telescope|_ignition|console)\b",
    )

    @field_validator("patterns")
    @classmethod
    def regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_patterns(value)


class ScannerAgentSettings(Section):
    # Case-insensitive fragments of the user agents attack tools send by default: one hit.
    agents: tuple[str, ...] = (
        "sqlmap",
        "nikto",
        "nmap",
        "masscan",
        "zgrab",
        "nuclei",
        "gobuster",
        "dirbuster",
        "dirb/",
        "wpscan",
        "wfuzz",
        "fuzz faster u fool",
        "ffuf",
        "feroxbuster",
        "acunetix",
        "netsparker",
        "w3af",
        "openvas",
        "nessus",
        "zmeu",
        "morfeus",
        "jorgee",
        "l9explore",
        "l9tcpid",
        "hydra",
        "commix",
        "arachni",
        "skipfish",
        "whatweb",
        "nimbostratus",
        "xfa1",
        "${jndi:",
        "() {",
    )


class InjectionSettings(Section):
    attempts: int = Field(default=1, ge=1)  # URLs carrying traversal, SQLi or XSS from one IP ...
    window: Duration = timedelta(minutes=10)  # ... within this window


class CrawlingSettings(Section):
    # CrowdSec http-crawl-non_statics: 40 non-static requests, leaking two a second.
    burst_pages: int = Field(default=40, ge=2)  # non-static requests from one IP ...
    burst_window: Duration = timedelta(seconds=15)  # ... within this window, or
    pages: int = Field(default=300, ge=2)  # ... this many ...
    window: Duration = timedelta(minutes=10)  # ... within this one: no person reads that fast
    # Published ranges of search-engine crawlers (Googlebot, Bingbot, Applebot), kept offline:
    # a crawler from these networks is not scraping; one only claiming the name is.
    verified_crawlers: tuple[str, ...] = (
        "66.249.64.0/19",
        "2001:4860:4801::/48",
        "157.55.39.0/24",
        "207.46.13.0/24",
        "40.77.167.0/24",
        "13.66.139.0/24",
        "52.167.144.0/24",
        "17.0.0.0/8",
    )

    @field_validator("verified_crawlers")
    @classmethod
    def networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
        return value
