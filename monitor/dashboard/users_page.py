"""The users page for internal control: roles, disabling and unlocking, as `vigil users` does.

Open sessions follow at their next request (see sessions); each change is in the audit log
with the same verb as from the command line.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.dashboard.pages import Pages, Refused
from monitor.dashboard.throttle import Throttle
from monitor.dashboard.users import Role

INTERNAL_CONTROL = frozenset({Role.INTERNAL_CONTROL})


def mount_users(app: FastAPI, pages: Pages) -> None:
    users = pages.api.users
    throttle = Throttle(pages.api.store.redis, pages.api.store.keys)

    @app.get("/users", response_class=HTMLResponse)
    async def people(request: Request) -> HTMLResponse:
        current = await pages.current(request, INTERNAL_CONTROL)
        found = sorted((await users.people()).items())
        return pages.render(
            current,
            "users.html",
            heading="Users",
            people=[(name, r["role"], r["disabled"]) for name, r in found],
            roles=list(Role),
        )

    @app.post("/users/{name}/{change}")
    async def change(request: Request, name: str, change: str) -> Response:
        current, fields = await pages.posted(request, INTERNAL_CONTROL)
        if change == "role":
            role = fields.get("role", "")
            if role not in set(Role):
                raise Refused(400, "unknown role")
            done, action = await users.set_role(name, Role(role)), f"role set to {role}"
        elif change == "disable":
            done, action = await users.disable(name), "disabled"
        elif change == "unlock":
            done, action = await users.record(name) is not None, "unlocked"
            await throttle.unlock(name)
        else:
            raise Refused(404, "no such change")
        if not done:
            raise Refused(404, f"no user {name}")
        await users.audit(current.session.principal, f"user {action}", name)
        return RedirectResponse("/users", status_code=303)
