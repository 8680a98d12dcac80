"""`vigil breach status` as text: the clock, each phase's filing, the customers' notices."""

from __future__ import annotations

from typing import Any


def print_status(state: dict[str, Any]) -> None:
    clock = (
        f"OVERDUE by {-state['hours_left']} h"
        if state["hours_left"] < 0
        else f"{state['hours_left']} h left"
    )
    print(
        f"{state['id']}  {state['summary']}\n  discovered {state['detected_at']}  "
        f"Form 08 due {state['due']}  ({clock})  phase {state['phase']}"
    )
    if state["withdrawn"]:
        print(f"  WITHDRAWN: {state['withdrawn']}")
    for phase in state["phases"]:
        print(f"  authority  phase {phase['phase']}: {phase_line(phase)}")
    print("  customers  " + ", ".join(f"{k} {v}" for k, v in state["customers"].items()))
    for line in state.get("recipients", []):
        print(f"    {line['customer']}  {line['language']:5}  {line['state']}")
    for customer_id in state.get("not_in_directory", []):
        print(f"    {customer_id}  not in the customer directory: contact by hand")
    for bad in state.get("directory_bad_rows", []):
        print(f"    customer directory line {bad['line']} skipped: {bad['reason']}")


def phase_line(phase: dict[str, Any]) -> str:
    if phase["filed_at"]:
        line = f"{phase['state']} {phase['filed_at'][:16]} (reference {phase['reference']})"
    else:
        line = f"{phase['state']}, due {phase['due'][:16]}"
    if phase["late_reason"]:
        line += f"; late reason: {phase['late_reason']}"
    if phase["late_reason_missing"]:
        line += "; LATE REASON MISSING"
    if phase.get("signing_failed"):
        line += f"; SIGNING FAILED ({phase['signing_failed']}): the officer has the draft"
    return line
