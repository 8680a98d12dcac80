"""The `routes:` section: which URLs of the website are logins, customer records, searches,
exports and administration, so access-log lines can speak the audit log's vocabulary."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from monitor.config_types import Section


def check_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"{pattern!r} is not a regular expression: {error}") from None
    return patterns


class LoginRoute(Section):
    """The login form. Access logs carry no Location header, so outcome is read from method
    and status: a login that worked redirects, a failed one re-renders the form (200) or is
    refused (401, 403, 429). A site that redirects both ways names its failure page instead."""

    paths: tuple[str, ...] = ("/login",)  # exact url.path values
    methods: tuple[str, ...] = ("POST",)
    success_status: tuple[int, ...] = (301, 302, 303)
    failure_status: tuple[int, ...] = (200, 401, 403, 429)
    # Regexes on path?query of the page a failed login lands on (e.g. ^/login\?error): a GET
    # of it is the failure, for sites whose failed and good logins both redirect.
    failure_pages: tuple[str, ...] = ()

    @field_validator("failure_pages")
    @classmethod
    def patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_patterns(value)

    @model_validator(mode="after")
    def disjoint(self) -> LoginRoute:
        both = set(self.success_status) & set(self.failure_status)
        if both:
            raise ValueError(f"status {sorted(both)} cannot mean both success and failure")
        return self


class RouteSettings(Section):
    """URL regexes (on url.path) for each kind of customer-data access, and the login."""

    login: LoginRoute = LoginRoute()
    # A request answered 401 that carries a basic-auth user name is a failed login.
    basic_auth: bool = True
    customer_record: str = r"^/customers/(?P<customer_id>C-\d+)/?$"
    customer_search: tuple[str, ...] = (r"^/customers/search/?$",)
    customer_export: tuple[str, ...] = (r"^/customers/export(?:\.csv|\.xlsx)?/?$",)
    admin: tuple[str, ...] = (r"^/admin(?:/|$)",)
    # Only answers with these statuses showed the page: a redirect to the login did not.
    served_status: tuple[int, ...] = Field(default=(200, 206, 304), min_length=1)

    @field_validator("customer_search", "customer_export", "admin")
    @classmethod
    def patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_patterns(value)

    @field_validator("customer_record")
    @classmethod
    def names_the_customer(cls, value: str) -> str:
        check_patterns((value,))
        if "customer_id" not in re.compile(value).groupindex:
            raise ValueError("customer_record needs a named group (?P<customer_id>...)")
        return value
