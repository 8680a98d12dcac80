"""The respond role: alerting, escalation jobs, the outbox sender and the web side, wired."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn

from detectors import build_detectors
from monitor import status as status_view
from monitor.breach_commands import build_playbook
from monitor.dashboard.api import ApiParts
from monitor.dashboard.app import create_app
from monitor.dashboard.users import Users
from monitor.directory import DirectoryError
from monitor.incidents import Lifecycle, TransitionRefused
from monitor.lag import watch_lag
from monitor.settings import Settings
from monitor.startup import StartupFailure, listening_socket
from notifications.alerting import Alerter
from notifications.message import Channel, Message
from notifications.oncall import Rota, staff_directory
from notifications.outbox import Backoff, Outbox
from notifications.pages import AlertParts
from notifications.schedule import build_scheduler
from notifications.transport import RetryPolicy, Sender, SmtpTransport, Transport, WebhookTransport
from playbooks import rules
from playbooks.breach import BreachError
from playbooks.playbook import Playbook
from playbooks.record import Record
from playbooks.schedule import PLAYBOOKS
from playbooks.seal import seal_for
from playbooks.signing import refusal

if TYPE_CHECKING:
    from monitor.service import Vigil

log = logging.getLogger(__name__)


def secret_key(settings: Settings) -> bytes:
    """VIGIL_SECRET_KEY, or a key made once and kept beside the data (mode 600)."""
    if settings.web.secret_key is not None:
        return settings.web.secret_key.get_secret_value().encode()
    path = settings.redis.data_dir.parent / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def alert_parts(vigil: Vigil) -> AlertParts:
    settings = vigil.settings
    outbox = Outbox(vigil.redis, vigil.keys, retention=settings.outbox.retention)
    rota = Rota(settings.alerts.rotation, staff_directory(settings))
    runbooks = {d.id: d.runbook for d in build_detectors(settings)}
    return AlertParts(
        settings, vigil.redis, vigil.keys, vigil.store, outbox, rota, runbooks, secret_key(settings)
    )


def build_sender(vigil: Vigil, outbox: Outbox) -> Sender:
    settings = vigil.settings
    lifecycle = Lifecycle(vigil.store)
    transports: dict[Channel, Transport] = {Channel.EMAIL: SmtpTransport(settings.smtp)}
    if settings.alerts.webhooks:
        secrets = {hook.url: hook.secret.get_secret_value() for hook in settings.alerts.webhooks}
        transports[Channel.WEBHOOK] = WebhookTransport(secrets)

    record = Record(vigil.redis, vigil.keys, settings.breach.retention, seal_for(settings))

    async def on_result(message: Message, outcome: str, detail: str) -> None:
        """Every send and failure: on the breach record for notices, else on the timelines."""
        if message.key.startswith("breach:"):
            await record.append(
                message.key.split(":")[1],
                f"notice-{outcome}",
                {
                    "key": message.key,
                    "to": list(message.to),
                    "detail": detail,
                    "language": message.headers.get("Content-Language", ""),
                },
            )
            return
        entry = {
            "by": "vigil",
            "action": f"notification-{outcome}",
            "to": message.key,
            "note": detail,
        }
        for incident_id in message.incident_ids:
            try:
                await lifecycle.note(incident_id, entry)
            except TransitionRefused:
                log.warning("notification %s names an unknown incident", message.key)

    policy = RetryPolicy(
        Backoff(settings.outbox.backoff, settings.outbox.max_backoff),
        settings.outbox.max_attempts,
        settings.outbox.lease,
        settings.outbox.rate_per_second,
    )
    return Sender(outbox, transports, settings.smtp.sender, policy, on_result)


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the service decides when everything stops."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve(server: uvicorn.Server, stop: asyncio.Event, sock: socket.socket) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await stop.wait()
    server.should_exit = True
    await task


async def resume_breaches(playbook: Playbook) -> None:
    """A playbook cut short (a crash while queueing notices) finishes what it had left."""
    for breach_id in await playbook.store.ids():
        try:
            await playbook.run(breach_id)
        except (BreachError, DirectoryError) as error:  # one breach never stops the others
            log.error("breach %s not resumed: %s", breach_id, error)


async def respond(vigil: Vigil, stop: asyncio.Event) -> None:
    """Alerts, escalations, digests, the outbox and the acknowledgement pages, until `stop`."""
    settings = vigil.settings
    # Checked first: a signed-email that cannot sign would send every form as a draft.
    if refused := refusal(settings.breach.authority_delivery, settings.signing):
        raise StartupFailure(refused)
    parts = alert_parts(vigil)
    scheduler = build_scheduler(vigil.url, vigil.keys.prefix, settings.ingest.timezone)
    alerter = Alerter(parts, scheduler)
    playbook = build_playbook(vigil)
    PLAYBOOKS[vigil.keys.prefix] = playbook
    api = ApiParts(
        vigil.store,
        Users(vigil.redis, vigil.keys),
        playbook,
        parts.staff,
        lambda: status_view.collect(vigil),
        settings.dashboard.trusted_proxies,
        {d.id: (d.runbook, d.mitre) for d in build_detectors(settings)},
    )
    app = create_app(
        vigil.store,
        vigil.keys,
        parts.secret,
        parts.staff,
        api=api,
        secure_cookies=settings.web.secure_cookies,
    )
    config = uvicorn.Config(
        app, host=settings.web.host, port=settings.web.port, log_level="warning", lifespan="off"
    )
    # Bound before anything starts: without its port the respond role has no dashboard and
    # no acknowledgement links, so it stops with the reason instead of running on.
    sock = listening_socket(settings.web.host, settings.web.port)
    scheduler.start()
    try:
        if not await vigil.store.indexer.current():
            filed = await vigil.store.indexer.rebuild()
            if filed:  # incidents written before the indexes (or their version) existed
                log.warning("filed %d incidents in the indexes", filed)
        await resume_breaches(playbook)
        async with asyncio.TaskGroup() as group:
            group.create_task(alerter.run(stop))
            group.create_task(build_sender(vigil, parts.outbox).run(stop))
            group.create_task(serve(QuietServer(config), stop, sock))
            group.create_task(rules.watch(playbook, scheduler, stop))
            group.create_task(
                watch_lag(
                    vigil.redis,
                    vigil.keys,
                    parts.outbox,
                    parts.rota,
                    settings.alerts.lag_bound.total_seconds(),
                    settings.alerts.public_url,
                    stop,
                )
            )
    finally:
        scheduler.shutdown(wait=False)
        sock.close()
