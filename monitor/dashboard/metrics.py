"""Prometheus metrics on /metrics, read from Redis at each scrape (no personal data)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from monitor.findings import FAMILIES, Severity
from monitor.incidents import IncidentStore, Status


async def gather(store: IncidentStore, status: dict[str, Any]) -> list[Metric]:
    redis, index = store.redis, store.keys.incident_index
    sources = CounterMetricFamily(
        "vigil_source_lines", "Lines read per source and outcome", labels=["path", "kind"]
    )
    for source in status["sources"]:
        for kind in ("lines", "events", "ignored", "malformed"):
            sources.add_metric([source["path"], kind], source[kind])
    lag = GaugeMetricFamily("vigil_source_lag_bytes", "Bytes not yet read", labels=["path"])
    for source in status["sources"]:
        lag.add_metric([source["path"]], source["lag_bytes"] or 0)
    by_severity = GaugeMetricFamily("vigil_incidents_by_severity", "Incidents", labels=["severity"])
    for severity in Severity:
        by_severity.add_metric([str(severity)], await redis.zcard(index(f"severity:{severity}")))
    by_family = GaugeMetricFamily("vigil_incidents_by_family", "Incidents", labels=["family"])
    for family in FAMILIES:
        by_family.add_metric([family], await redis.zcard(index(f"family:{family}")))
    by_status = GaugeMetricFamily("vigil_incidents_by_status", "Incidents", labels=["status"])
    for state in Status:
        by_status.add_metric([str(state)], await redis.zcard(index(f"status:{state}")))
    outbox = GaugeMetricFamily("vigil_outbox_messages", "Notifications", labels=["state"])
    for state, count in status["outbox"].items():
        outbox.add_metric([state], count)
    stream = status["stream"]
    gauges = [
        GaugeMetricFamily(
            "vigil_stream_entries", "Event batches in the stream", value=stream["length"]
        ),
        GaugeMetricFamily(
            "vigil_stream_pending", "Batches read, not acknowledged", value=stream["pending"]
        ),
        GaugeMetricFamily(
            "vigil_dead_letters", "Malformed lines kept", value=status["dead_letters"]
        ),
        GaugeMetricFamily(
            "vigil_detection_behind_seconds",
            "Age of the oldest batch detection has not finished",
            value=stream["behind_seconds"],
        ),
        CounterMetricFamily(
            "vigil_stream_trimmed_unread_lines",
            "Lines ingest.stream_maxlen dropped before detection read them",
            value=stream["trimmed_unread"],
        ),
    ]
    stalled = GaugeMetricFamily(
        "vigil_source_stalled", "1 when a source's files cannot be read", labels=["path"]
    )
    for source in status["file_sources"]:
        stalled.add_metric([source["path"]], 1 if source["state"] == "stalled" else 0)
    gauges.append(stalled)
    pages = CounterMetricFamily(
        "vigil_escalation_pages", "Pages sent per escalation level", labels=["level"]
    )
    for name, count in (await redis.hgetall(store.keys.alerts("stats"))).items():
        if name.startswith(b"pages:"):
            pages.add_metric([name.decode().removeprefix("pages:")], int(count))
    return [sources, lag, by_severity, by_family, by_status, outbox, pages, *gauges]


class Snapshot:
    """A prometheus_client collector over metrics gathered just before."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def exposition(metrics: list[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Snapshot(metrics))
    return bytes(generate_latest(registry))
