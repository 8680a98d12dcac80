"""The JSON API under /api: incidents, breaches, silences and status, by bearer token and role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field

from monitor.dashboard.users import AccessDenied, Principal, Role, Users
from monitor.dashboard.views import SEES_CUSTOMERS, incident_view
from monitor.incidents import Classification, IncidentStore, Lifecycle, TransitionRefused
from notifications.silences import Silences
from playbooks.breach import BreachError
from playbooks.playbook import Playbook
from playbooks.progress import progress

ACK = frozenset({Role.INTERNAL_CONTROL, Role.ONCALL})
BREACH_READ = frozenset({Role.INTERNAL_CONTROL, Role.CUSTOMER_CARE})


class Resolution(BaseModel):
    classification: Classification = Classification.TRUE_POSITIVE
    note: str = Field(default="", max_length=2000)


class Comment(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class Assignment(BaseModel):
    owner: str = Field(min_length=1, max_length=100)


class Declaration(BaseModel):
    incidents: list[str] = Field(min_length=1, max_length=1000)
    summary: str = Field(min_length=1, max_length=2000)


class SilenceRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    minutes: int = Field(ge=1, le=7 * 24 * 60)
    family: str | None = None
    detector: str | None = None
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class ApiParts:
    store: IncidentStore
    users: Users
    playbook: Playbook
    staff: frozenset[str]
    status: Callable[[], Awaitable[dict[str, Any]]]
    # Proxies whose X-Forwarded-For names the client (DashboardSettings.trusted_proxies).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    # Per detector id: its runbook and MITRE ATT&CK technique, shown on the incident page.
    guides: Mapping[str, tuple[str, str]] = field(default_factory=dict)


async def current_principal(
    request: Request, authorization: Annotated[str, Header()] = ""
) -> Principal:
    """The bearer token's owner and role (the Users store is on the app's state)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    users: Users = request.app.state.users
    try:
        return await users.bearer(token)
    except AccessDenied as error:
        raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None


Who = Annotated[Principal, Depends(current_principal)]


def create_api(parts: ApiParts) -> APIRouter:
    api = APIRouter(prefix="/api")
    lifecycle = Lifecycle(parts.store)
    silences = Silences(parts.store.redis, parts.store.keys)

    def allow(who: Principal, roles: frozenset[Role]) -> None:
        if who.role not in roles:
            raise HTTPException(403, f"the {who.role} role may not do this")

    async def seen(who: Principal, incident_id: str) -> dict[str, Any]:
        incident = await parts.store.get(incident_id)
        if incident is None:
            raise HTTPException(404, f"no incident {incident_id}")
        if who.role in SEES_CUSTOMERS and incident.affected_customers:
            await parts.users.audit(who, "viewed customer data", incident_id)
        return incident_view(incident, who.role, parts.staff)

    @api.get("/incidents/{incident_id}")
    async def show_incident(who: Who, incident_id: str) -> dict[str, Any]:
        return await seen(who, incident_id)

    @api.get("/incidents/{incident_id}/customers")
    async def incident_customers(who: Who, incident_id: str) -> list[str]:
        """Every customer the incident names (its JSON lists the first ones): internal
        control only, and audited, as customer data is (policy section 6)."""
        allow(who, SEES_CUSTOMERS)
        customers = await parts.store.customers(incident_id)
        if customers is None:
            raise HTTPException(404, f"no incident {incident_id}")
        await parts.users.audit(who, "viewed customer data", incident_id)
        return customers

    async def act(
        who: Principal, incident_id: str, what: str, move: Callable[[], Awaitable[object]]
    ) -> dict[str, Any]:
        allow(who, ACK)
        try:
            await move()
        except TransitionRefused as error:
            raise HTTPException(409 if "cannot" in str(error) else 404, str(error)) from None
        await parts.users.audit(who, what, incident_id)
        return await seen(who, incident_id)

    @api.post("/incidents/{incident_id}/ack")
    async def ack(who: Who, incident_id: str) -> dict[str, Any]:
        return await act(
            who,
            incident_id,
            "acknowledged",
            lambda: lifecycle.acknowledge(incident_id, who.name, "from the API"),
        )

    @api.post("/incidents/{incident_id}/resolve")
    async def resolve(who: Who, incident_id: str, body: Resolution) -> dict[str, Any]:
        return await act(
            who,
            incident_id,
            "resolved",
            lambda: lifecycle.resolve(incident_id, who.name, body.classification, body.note),
        )

    @api.post("/incidents/{incident_id}/comment")
    async def comment(who: Who, incident_id: str, body: Comment) -> dict[str, Any]:
        return await act(
            who,
            incident_id,
            "commented",
            lambda: lifecycle.comment(incident_id, who.name, body.text),
        )

    @api.post("/incidents/{incident_id}/assign")
    async def assign(who: Who, incident_id: str, body: Assignment) -> dict[str, Any]:
        return await act(
            who,
            incident_id,
            "assigned",
            lambda: lifecycle.assign(incident_id, body.owner, who.name),
        )

    @api.post("/breaches", status_code=201)
    async def declare(who: Who, body: Declaration) -> dict[str, Any]:
        allow(who, frozenset({Role.INTERNAL_CONTROL}))
        try:
            breach = await parts.playbook.store.declare(body.incidents, body.summary, who.name)
        except BreachError as error:
            raise HTTPException(404, str(error)) from None
        await parts.users.audit(who, "declared a breach", breach.id)
        outcome = await parts.playbook.run(breach.id)
        return {
            "id": breach.id,
            "customers": outcome.customers,
            "queued": outcome.queued,
            "waiting": outcome.waiting,
        }

    @api.get("/breaches/{breach_id}")
    async def breach_status(who: Who, breach_id: str, recipients: bool = False) -> dict[str, Any]:
        allow(who, BREACH_READ)
        try:
            breach = await parts.playbook.store.existing(breach_id)
        except BreachError as error:
            raise HTTPException(404, str(error)) from None
        _, found, _ = await parts.playbook.affected_of(breach)
        if recipients:
            await parts.users.audit(who, "viewed notice recipients", breach_id)
        return await progress(parts.playbook, breach, found, datetime.now(UTC), recipients)

    @api.get("/silences")
    async def list_silences(who: Who) -> list[dict[str, Any]]:
        return [asdict(silence) for silence in await silences.all()]

    @api.post("/silences", status_code=201)
    async def add_silence(who: Who, body: SilenceRequest) -> dict[str, Any]:
        allow(who, ACK)
        now = datetime.now(UTC)
        try:
            silence = await silences.add(
                now,
                now + timedelta(minutes=body.minutes),
                body.reason,
                who.name,
                body.family,
                body.detector,
                body.entity,
            )
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        await parts.users.audit(who, "added a silence", silence.id)
        return asdict(silence)

    @api.delete("/silences/{silence_id}")
    async def expire_silence(who: Who, silence_id: str) -> dict[str, str]:
        allow(who, ACK)
        if not await silences.expire(silence_id, datetime.now(UTC)):
            raise HTTPException(404, f"no silence {silence_id}")
        await parts.users.audit(who, "expired a silence", silence_id)
        return {"id": silence_id, "state": "expired"}

    @api.get("/status")
    async def status(who: Who) -> dict[str, Any]:
        allow(who, frozenset({Role.INTERNAL_CONTROL, Role.IT}))
        return await parts.status()

    return api
