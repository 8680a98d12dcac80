"""`vigil breach`: declare, follow, preview, verify and export section 10 breaches."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any

from monitor.service import Vigil
from notifications.oncall import Rota, staff_directory
from notifications.outbox import Outbox
from notifications.schedule import build_scheduler
from playbooks.breach import BreachError, BreachStore
from playbooks.minutes import record_html, record_minutes
from playbooks.pdf import record_pdf
from playbooks.playbook import Outcome, Playbook, preview
from playbooks.progress import progress
from playbooks.record import Record, verify
from playbooks.schedule import schedule_reminders


def build_playbook(vigil: Vigil) -> Playbook:
    settings = vigil.settings
    record = Record(vigil.redis, vigil.keys, settings.breach.retention)
    store = BreachStore(vigil.redis, vigil.keys, vigil.store, record)
    outbox = Outbox(vigil.redis, vigil.keys, retention=settings.outbox.retention)
    rota = Rota(settings.alerts.rotation, staff_directory(settings))
    return Playbook(settings, store, vigil.store, outbox, rota)


def add_parsers(commands: Any) -> None:
    breach = commands.add_parser("breach", help="section 10: notify the authority and customers")
    actions = breach.add_subparsers(dest="action", required=True)
    declare = actions.add_parser("declare", help="declare a breach on incidents; T0 is now")
    declare.add_argument("incidents", nargs="+")
    declare.add_argument("--summary", required=True)
    declare.add_argument("--by", default=getpass.getuser())
    actions.add_parser("list")
    for name in ("status", "run", "verify"):
        actions.add_parser(name).add_argument("id")
    status = actions.choices["status"]
    status.add_argument("--json", action="store_true")
    status.add_argument("--recipients", action="store_true", help="one line per customer")
    shown = actions.add_parser("preview", help="render every notice into a folder, send nothing")
    shown.add_argument("id")
    shown.add_argument("--out", type=Path, required=True)
    record = actions.add_parser("record", help="the breach record as JSON or printable HTML")
    record.add_argument("id")
    record.add_argument("--html", type=Path, help="write the printable record here")
    record.add_argument("--pdf", type=Path, help="write the record as PDF for signing here")
    attach = actions.add_parser("attach", help="more incidents: a follow-up phase")
    attach.add_argument("id")
    attach.add_argument("incidents", nargs="+")
    late = actions.add_parser("late-reason", help="why the authority notice is late (after 72 h)")
    late.add_argument("id")
    late.add_argument("reason")
    approve = actions.add_parser("approve", help="approve notices when config requires it")
    approve.add_argument("id")
    approve.add_argument("--scope", choices=["authority", "all"], default="all")
    for parser in (attach, late, approve):
        parser.add_argument("--by", default=getpass.getuser())


async def breach_command(vigil: Vigil, args: argparse.Namespace) -> int:
    playbook = build_playbook(vigil)
    try:
        return await dispatch(vigil, playbook, args)
    except BreachError as error:
        print(f"vigil: {error}")
        return 1


async def dispatch(vigil: Vigil, playbook: Playbook, args: argparse.Namespace) -> int:
    store = playbook.store
    if args.action == "list":
        for breach_id in await store.ids():
            breach = await store.existing(breach_id)
            print(
                f"{breach.id}  phase {breach.phase}  detected {breach.detected_at:%Y-%m-%d %H:%M}"
                f" UTC  {breach.summary}"
            )
        return 0
    if args.action == "declare":
        breach = await store.declare(args.incidents, args.summary, args.by)
        await reminders(vigil, playbook, breach.id)
        print(
            f"declared {breach.id}; the 72-hour clock runs until "
            f"{breach.due(playbook.breach.deadline):%Y-%m-%d %H:%M} UTC"
        )
        return report(await playbook.run(breach.id))
    if args.action == "attach":
        await store.attach(args.id, args.incidents, args.by)
    elif args.action == "late-reason":
        await store.set_late_reason(args.id, args.reason, args.by)
    elif args.action == "approve":
        await store.approve(args.id, args.scope, args.by)
    if args.action in ("attach", "late-reason", "approve", "run"):
        return report(await playbook.run(args.id))
    if args.action == "status":
        return await show_status(playbook, args)
    if args.action == "preview":
        return await show_preview(playbook, args)
    return await show_record(playbook, args)


async def reminders(vigil: Vigil, playbook: Playbook, breach_id: str) -> None:
    """Store the reminder jobs; the respond role runs them (a paused scheduler only stores)."""
    scheduler = build_scheduler(vigil.url, vigil.keys.prefix, vigil.settings.ingest.timezone)
    scheduler.start(paused=True)
    try:
        schedule_reminders(
            scheduler, vigil.keys.prefix, await playbook.store.existing(breach_id), playbook
        )
    finally:
        scheduler.shutdown(wait=False)


def report(outcome: Outcome) -> int:
    print(f"{outcome.customers} affected customers; {outcome.queued} notices queued now")
    if outcome.waiting:
        print(
            f"the authority notice waits for: {outcome.waiting} "
            f"(`vigil breach {'late-reason' if outcome.waiting == 'late reason' else 'approve'}`)"
        )
    if outcome.no_address:
        print(
            f"{len(outcome.no_address)} customers have no safe email address: contact them by "
            "phone or post, and publish the public notice"
        )
    if outcome.unknown:
        print(f"{len(outcome.unknown)} customer ids are not in the customer directory")
    return 0


async def affected_of(playbook: Playbook, breach_id: str) -> tuple[Any, list[Any], list[Any]]:
    breach = await playbook.store.existing(breach_id)
    incidents, found, _ = await playbook.affected_of(breach)
    return breach, found, incidents


async def show_status(playbook: Playbook, args: argparse.Namespace) -> int:
    breach, found, _ = await affected_of(playbook, args.id)
    state = await progress(playbook, breach, found, playbook.clock(), args.recipients)
    if args.json:
        print(json.dumps(state, indent=2, ensure_ascii=False))
        return 0
    clock = (
        f"OVERDUE by {-state['hours_left']} h"
        if state["overdue"]
        else f"{state['hours_left']} h left"
    )
    print(
        f"{breach.id}  {breach.summary}\n  detected {state['detected_at']}  due {state['due']}"
        f"  ({clock})  phase {breach.phase}"
    )
    print("  authority  " + ", ".join(f"{k}: {v}" for k, v in state["authority"].items()))
    print("  customers  " + ", ".join(f"{k} {v}" for k, v in state["customers"].items()))
    for line in state.get("recipients", []):
        print(f"    {line['customer']}  {line['language']:5}  {line['state']}")
    return 0


async def show_preview(playbook: Playbook, args: argparse.Namespace) -> int:
    breach, found, incidents = await affected_of(playbook, args.id)
    written = preview(playbook, breach, found, incidents, args.out)
    print(f"{written} notices written to {args.out} (nothing was sent)")
    return 0


async def show_record(playbook: Playbook, args: argparse.Namespace) -> int:
    breach = await playbook.store.existing(args.id)
    entries = await playbook.record.entries(breach.id)
    problems = verify(entries)
    if args.action == "verify":
        print(
            f"{breach.id}: {len(entries)} entries, "
            + ("the chain is intact" if not problems else "BROKEN:\n  " + "\n  ".join(problems))
        )
        return 0 if not problems else 1
    if args.html or args.pdf:
        written = record_minutes(breach, playbook.settings.organisation, entries, problems)
        if args.html:
            args.html.write_text(record_html(written))
        if args.pdf:
            args.pdf.write_bytes(record_pdf(written))
        print(f"record written to {', '.join(str(p) for p in (args.html, args.pdf) if p)}")
        return 0
    print(
        json.dumps(
            {"breach": breach.id, "intact": not problems, "entries": entries},
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0
