"""`vigil parse`: print the normalized events of files, without Redis."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from monitor.scan import ScanReport, read_file

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def parse_files(
    paths: Sequence[str], forced: str | None, as_json: bool, zone: str = DEFAULT_ZONE
) -> int:
    report = ScanReport()
    for path in paths:
        try:
            for event in read_file(path, forced, zone, report, [0]):
                if as_json:
                    print(json.dumps(event.to_ecs(), ensure_ascii=False))
                else:
                    print(
                        f"{event.timestamp.isoformat()} {event.action} {event.outcome} "
                        f"user={event.user or '-'} ip={event.source_ip or '-'}"
                    )
        except (OSError, ValueError) as error:
            print(f"vigil: {error}", file=sys.stderr)
            return 1
    print(f"vigil: {report.lines} lines, {report.malformed} malformed", file=sys.stderr)
    return 0
