"""ECS JSON lines (the ALS website's audit log), with nested or dotted keys."""

from __future__ import annotations

from typing import Any

from monitor.events import Event, event_from_flat, flatten
from monitor.parsers import access_json
from monitor.parsers.base import Format, LineContext, Malformed, json_object
from monitor.parsers.fields import canonical_ip


def sniff(line: str) -> bool:
    return line.lstrip().startswith("{") and '"@timestamp"' in line and not access_json.sniff(line)


def parse(line: str, offset: int, context: LineContext) -> Event:
    document = json_object(line)
    flat = {key: portable(value) for key, value in flatten(document).items()}
    if not isinstance(flat.get("@timestamp"), str):
        raise Malformed("no @timestamp")
    if not valid_port(flat.get("source.port")):
        raise Malformed("source.port is not a port number")
    address = flat.get("source.ip")
    if isinstance(address, str) and "%" in address:  # fe80::1%eth0: the zone is the host's
        flat["source.ip"] = canonical_ip(address) or address
    flat.setdefault("event.dataset", "ecs")
    flat["log.file.path"] = context.path
    flat["log.offset"] = offset
    try:
        return event_from_flat(flat)
    except OverflowError as error:  # a time whose offset takes it past year 1 or 9999
        raise Malformed("time out of range") from error
    except (ValueError, TypeError) as error:
        raise Malformed(f"bad field value: {error}") from error


def valid_port(value: Any) -> bool:
    """Absent, or 0..65535 as a number or digits (`Infinity`, `1e300`, 10**30 are not)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.isascii() and value.isdigit() and len(value) <= 5 and int(value) <= 65535
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 <= value <= 65535 and value == int(value)


def portable(value: Any) -> Any:
    """The value as the event stream can carry it: integers beyond 64 bits become text."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return str(value)
    if isinstance(value, list):
        return [portable(item) for item in value]
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    return value


FORMAT = Format("ecs", sniff, parse)
