"""Vigil against a Redis Cluster: three masters with replicas, started by the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from monitor.directory import load_staff
from monitor.pipeline.ingest import Ingest
from monitor.service import Vigil, open_vigil
from monitor.settings import load_settings
from monitor.store.connection import listpack_limit, open_client
from monitor.store.embedded import ZSET_LISTPACK_VALUE
from monitor.store.local_cluster import start_cluster, stop_cluster
from notifications.alerting import Alerter
from notifications.oncall import Rota, staff_directory
from notifications.outbox import Outbox
from notifications.pages import AlertParts
from notifications.schedule import at, build_scheduler, step_job
from playbooks.breach import BreachStore
from playbooks.playbook import Playbook
from playbooks.record import Record
from playbooks.seal import Seal
from tests.breach_parts import Clock as BreachClock
from tests.breach_parts import by_recipient, incident, send_all, write_customers
from tests.mailbox import Mailbox
from tests.test_alerting import Clock
from tests.test_alerting import (
    test_escalation_pages_on_call_then_backup_until_acknowledged as escalation_until_acknowledged,
)
from tests.test_pipeline import sshd_lines, with_source


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, processes = start_cluster(tmp_path_factory.mktemp("cluster"), 17100)
    yield url
    stop_cluster(processes)


@pytest.fixture
async def vigil(cluster_url: str, tmp_path: Path) -> AsyncIterator[Vigil]:
    settings = load_settings(None, {"REDIS_URL": cluster_url})
    async with open_vigil(settings) as opened:
        await opened.redis.flushall()
        yield opened


async def test_lines_become_incidents_on_a_cluster(vigil: Vigil, tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(sshd_lines(6))
    settings = with_source(vigil.settings, log)
    ingest = Ingest(vigil.redis, vigil.keys, settings)
    await ingest.start()
    assert await ingest.step() == 6
    worker = vigil.worker()
    await worker.ensure_group()
    changes = await worker.step(block=False)
    assert changes is not None and [change.state for change in changes] == ["created"]
    (incident,) = await vigil.store.list()
    assert incident.detector == "account_takeover.brute_force"


async def test_escalation_jobs_are_stored_on_a_cluster(cluster_url: str) -> None:
    """The respond role's APScheduler keeps its jobs in the cluster (one slot, {jobs})."""
    scheduler = build_scheduler(cluster_url, "vigil-cluster", "UTC")
    scheduler.start()
    try:
        when = datetime.now(UTC) + timedelta(hours=1)
        at(scheduler, when, "step:a1:1", step_job, ("vigil-cluster", "a1", 1))
        stored = scheduler._jobstores["default"].lookup_job("step:a1:1")
        assert stored is not None and stored.next_run_time == when
        assert [job.id for job in scheduler.get_jobs()] == ["step:a1:1"]
        scheduler.remove_job("step:a1:1")
        assert scheduler.get_jobs() == []
    finally:
        scheduler.shutdown(wait=False)


async def test_an_incident_pages_and_escalates_on_a_cluster(vigil: Vigil, cluster_url: str) -> None:
    """The alerting path (groups, the outbox, escalation jobs, acknowledgement) on the
    cluster, as the single-Redis test runs it."""
    clock = Clock()
    staff = load_staff(vigil.settings.directories.staff)
    parts = AlertParts(
        vigil.settings,
        vigil.redis,
        vigil.keys,
        vigil.store,
        Outbox(vigil.redis, vigil.keys),
        Rota(vigil.settings.alerts.rotation, staff),
        {},
        b"k" * 32,
    )
    scheduler = build_scheduler(cluster_url, vigil.keys.prefix, "Asia/Ho_Chi_Minh")
    alerter = Alerter(parts, scheduler, clock)
    try:
        await escalation_until_acknowledged(alerter, clock, vigil.redis, vigil.keys)
    finally:
        scheduler.remove_all_jobs()


def test_a_simulated_week_scans_alike_on_a_cluster(
    cluster_url: str, redis_url: str, tmp_path: Path
) -> None:
    """`vigil scan` over one simulated week raises the same incidents on the cluster as on
    one Valkey: every detector's windows, tallies and the volume model's refits included."""
    world = tmp_path / "world"
    vigil = [sys.executable, "-m", "monitor.cli"]
    simulate = ["simulate", "--out", str(world), "--customers", "200", "--days", "5", "--seed", "3"]
    subprocess.run([*vigil, *simulate], check=True, capture_output=True)
    logs = [str(world / name) for name in ("audit.json", "access.log", "auth.log", "files.json")]

    def scan(url: str, prefix: str) -> set[tuple[str, str]]:
        env = os.environ | {"REDIS_URL": url, "VIGIL_REDIS_PREFIX": prefix}
        command = [*vigil, "--config", str(world / "vigil.yaml"), "scan", "--json", *logs]
        found = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        incidents = [json.loads(line) for line in found.stdout.splitlines()]
        return {(i["detector"], json.dumps(i["entities"], sort_keys=True)) for i in incidents}

    single = scan(redis_url, "scan-single")
    assert single and scan(cluster_url, "scan-cluster") == single


async def test_a_breach_notifies_each_customer_once_on_a_cluster(
    vigil: Vigil, tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    """The section 10 playbook on the cluster: declared, queued, sent, its record intact."""
    mailbox, port = smtp
    clock = BreachClock()
    settings = vigil.settings.model_copy(
        update={
            "directories": vigil.settings.directories.model_copy(
                update={"customers": write_customers(tmp_path / "customers.csv", 40)}
            ),
            "smtp": vigil.settings.smtp.model_copy(update={"port": port}),
            "breach": vigil.settings.breach.model_copy(update={"authority_delivery": "email"}),
        }
    )
    seal = Seal(b"a key outside Redis", tmp_path / "record-heads.log")
    record = Record(vigil.redis, vigil.keys, settings.breach.retention, seal, clock)
    breaches = BreachStore(vigil.redis, vigil.keys, vigil.store, record, clock)
    rota = Rota(settings.alerts.rotation, staff_directory(settings))
    playbook = Playbook(
        settings, breaches, vigil.store, Outbox(vigil.redis, vigil.keys), rota, clock
    )
    incident_id = await incident(vigil.store, [f"C-{n}" for n in range(40)])
    breach = await playbook.store.declare([incident_id], "Customer accounts taken over", "quang")
    outcome = await playbook.run(breach.id)
    await playbook.run(breach.id)  # again: nothing more
    await send_all(playbook)
    received = by_recipient(mailbox)
    assert (outcome.customers, outcome.queued) == (40, 39)  # C-4 has no safe address
    assert len(mailbox.messages) == 39 + 2 and all(len(b) == 1 for b in received.values())
    assert (await playbook.record.verify(breach.id))[1] == []


async def test_one_node_keeping_window_members_in_skiplists_is_named(cluster_url: str) -> None:
    client = await open_client(cluster_url)
    second = redis.Redis(port=17101)  # a master the URL does not name
    second.config_set("zset-max-listpack-value", 64)
    try:
        assert await listpack_limit(client) == 64
    finally:
        second.config_set("zset-max-listpack-value", ZSET_LISTPACK_VALUE)
        second.close()
    assert await listpack_limit(client) == ZSET_LISTPACK_VALUE
    await client.aclose()
