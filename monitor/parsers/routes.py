"""The route map: an access-log request on a known URL becomes the audit event it stands for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from msgspec.structs import replace

from monitor.events import Event, Outcome
from monitor.route_settings import RouteSettings

DATA_CATEGORY = "database"


@dataclass(frozen=True, slots=True)
class RouteMap:
    """Login, customer-record, search, export and admin URLs of the website, compiled once."""

    login_paths: frozenset[str]
    login_methods: frozenset[str]
    success_status: frozenset[int]
    failure_status: frozenset[int]
    failure_pages: tuple[re.Pattern[str], ...]
    basic_auth: bool
    record: re.Pattern[str]
    # (pattern, action) for search and export, and (pattern, None) for admin pages.
    pages: tuple[tuple[re.Pattern[str], str | None], ...]
    served: frozenset[int]

    @classmethod
    def from_settings(cls, settings: RouteSettings) -> RouteMap:
        login = settings.login
        pages = (
            *((re.compile(p), "customer-record-export") for p in settings.customer_export),
            *((re.compile(p), "customer-search") for p in settings.customer_search),
            *((re.compile(p), None) for p in settings.admin),
        )
        return cls(
            login_paths=frozenset(login.paths),
            login_methods=frozenset(m.upper() for m in login.methods),
            success_status=frozenset(login.success_status),
            failure_status=frozenset(login.failure_status),
            failure_pages=tuple(re.compile(p) for p in login.failure_pages),
            basic_auth=settings.basic_auth,
            record=re.compile(settings.customer_record),
            pages=pages,
            served=frozenset(settings.served_status),
        )

    def apply(self, event: Event) -> Event:
        """The event in the audit vocabulary when its URL is mapped; else unchanged."""
        path = event.url_path
        if event.action != "http-request" or path is None or event.status_code is None:
            return event
        if path in self.login_paths and event.http_method in self.login_methods:
            return self.login(event)
        if self.basic_auth and event.status_code == 401 and event.user:
            return as_login(event, Outcome.FAILURE)
        if self.failure_pages and event.http_method == "GET":
            target = str(event.extra.get("url.original") or path)
            if any(page.match(target) for page in self.failure_pages):
                return as_login(event, Outcome.FAILURE)
        if event.status_code not in self.served:
            return event
        if match := self.record.match(path):
            return as_data(event, "customer-record-view", match["customer_id"])
        for pattern, action in self.pages:
            if pattern.match(path):
                if action is None:
                    return replace(event, extra={**event.extra, "labels.route": "admin"})
                return as_data(event, action, None)
        return event

    def login(self, event: Event) -> Event:
        status = event.status_code
        if status in self.failure_status:
            return as_login(event, Outcome.FAILURE)
        if status in self.success_status:
            return as_login(event, Outcome.SUCCESS)
        return event


def as_login(event: Event, outcome: Outcome) -> Event:
    """A login from an access log: the user is known only from basic auth."""
    return replace(event, action="user-login", outcome=outcome, category="authentication")


def as_data(event: Event, action: str, customer: str | None) -> Event:
    return replace(
        event,
        action=action,
        outcome=Outcome.SUCCESS,
        category=DATA_CATEGORY,
        customer_id=customer or event.customer_id,
    )
