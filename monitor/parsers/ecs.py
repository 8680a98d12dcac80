"""ECS JSON lines (the ALS website's audit log), with nested or dotted keys."""

from __future__ import annotations

import json

from monitor.events import Event, event_from_flat, flatten
from monitor.parsers.base import Format, LineContext, Malformed


def sniff(line: str) -> bool:
    return line.lstrip().startswith("{") and '"@timestamp"' in line


def parse(line: str, offset: int, context: LineContext) -> Event:
    try:
        document = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise Malformed("not valid JSON") from error
    if not isinstance(document, dict):
        raise Malformed("a JSON line must be an object")
    flat = flatten(document)
    if not isinstance(flat.get("@timestamp"), str):
        raise Malformed("no @timestamp")
    flat.setdefault("event.dataset", "ecs")
    flat["log.file.path"] = context.path
    flat["log.offset"] = offset
    try:
        return event_from_flat(flat)
    except (ValueError, TypeError) as error:
        raise Malformed(f"bad field value: {error}") from error


FORMAT = Format("ecs", sniff, parse)
