"""`vigil parse`: print the normalized events of files, without Redis."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from monitor.scan import Reading, ScanReport, read_file


def parse_files(paths: Sequence[str], reading: Reading, as_json: bool) -> int:
    report = ScanReport()
    for path in paths:
        try:
            for event in read_file(path, reading, report, [0]):
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
