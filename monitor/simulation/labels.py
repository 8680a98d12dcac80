"""Ground truth of one simulated attack."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth: which detector should see it, the entities it involves, when, and the
    customers its incident must name (None: not scored, the attack concerns no account)."""

    detector: str
    family: str
    entities: dict[str, str]
    start: datetime
    end: datetime
    customers: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"start": self.start.isoformat(), "end": self.end.isoformat()}
