"""The dashboard on a bad day: 100,000 incidents, a filtered page and its counts.

    python -m bench.dashboard [--incidents N] [--runs R]

Fills a fresh embedded Valkey with N incidents through the incident store (a scanner flood of
brute force, the other families, every severity, a tenth acknowledged, a tenth resolved, over
30 days), then times what the incidents page asks for: a page of 100 with its exact total and
the chart of the whole selection, plus the incidents of the page. Prints the median and the
slowest of R runs per query, the time to write and to rebuild the indexes, and their memory.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.dashboard.charts import chart_request
from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore, Lifecycle
from monitor.incidents.query import Chart, Order, Selection
from monitor.service import open_vigil
from monitor.settings import load_settings

NOW = datetime.now(UTC).replace(microsecond=0)
KINDS = (
    ("intrusion", "intrusion.ssh_brute_force", "Brute force from {ip}", Severity.LOW),
    (
        "account_takeover",
        "account_takeover.compromise_after_failures",
        "Login as {user} after 9 failures from {ip}",
        Severity.HIGH,
    ),
    (
        "impersonation",
        "impersonation.staff_as_customer",
        "Staff {user} imitating customer C-{n}",
        Severity.MEDIUM,
    ),
    (
        "bulk_access",
        "bulk_access.many_customers",
        "{user} opened 400 customer records",
        Severity.MEDIUM,
    ),
    (
        "integrity",
        "integrity.file_changed",
        "Payments config changed on web-{n} by {user}",
        Severity.CRITICAL,
    ),
)


def finding(n: int, count: int) -> Finding:
    # Four in five are the flood; the rest cycle through the other families.
    family, detector, title, severity = KINDS[0] if n % 5 else KINDS[1 + n // 5 % 4]
    ip, user = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}", f"user{n % 5000}"
    at = NOW - timedelta(days=30) * (count - n) / count
    return Finding(
        detector=detector,
        family=family,
        severity=severity,
        title=title.format(ip=ip, user=user, n=n % 100),
        key=f"n={n}",
        entities={"ip": ip, "user": user},
        first_seen=at,
        last_seen=at,
        evidence=({"id": f"bench:{n}", "@timestamp": at.isoformat()},),
        affected_customers=frozenset({f"C-{n % 20000}"}) if family != "intrusion" else frozenset(),
    )


async def fill(store: IncidentStore, count: int) -> float:
    started = time.perf_counter()
    ids: list[str] = []
    for first in range(0, count, 2000):
        batch = [finding(n, count) for n in range(first, min(first + 2000, count))]
        ids += [change.incident_id for change in await store.record(batch)]
    lifecycle = Lifecycle(store)
    for number, incident_id in enumerate(ids[::10]):
        if number % 2:
            await lifecycle.acknowledge(incident_id, "bench")
        else:
            await lifecycle.resolve(incident_id, "bench")
    return time.perf_counter() - started


async def timed(runs: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        spent.append(time.perf_counter() - started)
    return spent


async def deep_cursor(store: IncidentStore, selection: Selection, pages: int) -> str:
    cursor = ""
    for _ in range(pages):
        cursor = (await store.query.page(selection, cursor, 100)).next_cursor
    return cursor


async def measure(count: int, runs: int, folder: Path) -> None:
    settings = load_settings(None, {"VIGIL_DATA_DIR": str(folder / "redis")})
    async with open_vigil(settings) as vigil:
        store = vigil.store
        written = await fill(store, count)
        print(
            f"{count} incidents written with their indexes in {written:.1f} s "
            f"({count / written:.0f}/s, 10% then acknowledged or resolved)"
        )
        plot = chart_request(datetime.now(UTC))
        week = NOW - timedelta(days=7)
        cases: list[tuple[str, Selection, str]] = [
            ("newest page, nothing filtered", Selection(), ""),
            ("family=integrity", Selection(families=("integrity",)), ""),
            ("open intrusion (the flood)", Selection(("open",), families=("intrusion",)), ""),
            (
                "open or acknowledged, high or critical, last 7 days",
                Selection(("open", "acknowledged"), ("high", "critical"), since=week),
                "",
            ),
            ("entity=user42", Selection(entity="user42"), ""),
            ("title words 'payments config'", Selection(text="payments config"), ""),
            ("by severity, nothing filtered", Selection(order=Order.SEVERITY), ""),
            # The worst case: two large indexes with no per-status twin to stand in.
            (
                "open, title word 'brute' (80,000 with 90,000)",
                Selection(("open",), text="brute"),
                "",
            ),
        ]
        flood = Selection(families=("intrusion",))
        cases.append(("page 51 of the flood (cursor)", flood, await deep_cursor(store, flood, 50)))
        for name, selection, cursor in cases:
            work = functools.partial(shown, store, selection, cursor, plot)
            report(name, await timed(runs, work))
            result = await store.query.page(selection, cursor, 100, plot)
            print(f"    exact total {result.total}, {len(result.ids)} shown")
        groups = await timed(runs, lambda: store.query.groups(Selection(("open",)), plot))
        report("one row per detector, open", groups)
        started = time.perf_counter()
        filed = await store.indexer.rebuild()
        print(f"rebuild of the indexes: {filed} incidents in {time.perf_counter() - started:.1f} s")
        memory = 0
        async for key in vigil.redis.scan_iter(match=vigil.keys.incident_index("*"), count=1000):
            memory += await vigil.redis.memory_usage(key) or 0
        print(f"index memory: {memory / 1e6:.0f} MB ({memory / count:.0f} bytes per incident)")


async def shown(store: IncidentStore, selection: Selection, cursor: str, plot: Chart) -> None:
    """What the incidents page asks for: a page, its total and chart, then its incidents."""
    result = await store.query.page(selection, cursor, 100, plot)
    await store.get_many(result.ids)


def report(name: str, spent: list[float]) -> None:
    print(
        f"{name:60} median {statistics.median(spent) * 1000:6.1f} ms, "
        f"slowest {max(spent) * 1000:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-dashboard-") as folder:
        asyncio.run(measure(args.incidents, args.runs, Path(folder)))


if __name__ == "__main__":
    main()
