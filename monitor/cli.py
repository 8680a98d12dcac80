"""The `vigil` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from monitor.directory_files import check_directories
from monitor.findings import Severity
from monitor.incidents import Classification, Incident, Lifecycle, Status, TransitionRefused
from monitor.parsers import FORMATS
from monitor.service import PRINTS_INCIDENTS, Role, Vigil, open_vigil, run, stop_on_signals
from monitor.settings import ConfigError, Settings, load_settings
from monitor.startup import EXIT_STATUS, check_redis, failure_in
from monitor.terminal import printable

# The other commands' modules (the respond side, breach forms, users, scan, status) are
# imported where they are used: `vigil run --role ingest` starts without them, which saved
# it 0.4 CPU-seconds at every start.

# Commands that cannot do their work without the directories: they refuse to start without
# them (`vigil status` reports a directory's problems instead).
READS_DIRECTORIES = frozenset({"run", "scan", "breach"})


def command_of(argv: Sequence[str]) -> str | None:
    """The command named on the command line, before the whole parser is built."""
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--config")
    first.add_argument("-v", "--verbose", action="store_true")
    first.add_argument("command", nargs="?")
    return first.parse_known_args(argv)[0].command  # type: ignore[no-any-return]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; for `run`, without the other commands' heavy modules."""
    parser = argparse.ArgumentParser(prog="vigil", description=__doc__)
    parser.add_argument("--config", type=Path, help="YAML file merged over the defaults")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    commands = parser.add_subparsers(dest="command", required=True)

    run_cmd = commands.add_parser("run", help="watch the sources and raise incidents")
    run_cmd.add_argument("--role", type=Role, choices=list(Role), default=Role.ALL)

    parse_cmd = commands.add_parser("parse", help="print the events parsed from files")
    parse_cmd.add_argument("--format", choices=sorted(FORMATS))
    parse_cmd.add_argument("files", nargs="+")
    parse_cmd.add_argument("--json", action="store_true", help="one ECS JSON object a line")

    scan_cmd = commands.add_parser("scan", help="detect over files from start to end")
    scan_cmd.add_argument("--format", choices=sorted(FORMATS))
    scan_cmd.add_argument("files", nargs="+")
    scan_cmd.add_argument("--json", action="store_true", help="one incident JSON a line")

    incidents = commands.add_parser("incidents", help="list, show, acknowledge, resolve")
    actions = incidents.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list")
    listing.add_argument("--status", type=Status, choices=list(Status))
    listing.add_argument("--severity", type=Severity, choices=list(Severity))
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    actions.add_parser("reindex", help="file every incident in the dashboard's indexes again")
    every = actions.add_parser("customers", help="every customer id an incident names")
    every.add_argument("id")
    for name in ("ack", "resolve", "assign", "comment", "merge"):
        move = actions.add_parser(name)
        move.add_argument("id")
        move.add_argument("--by", default=getpass.getuser())
        move.add_argument("--note", default="")
        if name == "resolve":
            move.add_argument(
                "--classification",
                type=Classification,
                default="true_positive",
                choices=list(Classification),
            )
        if name == "assign":
            move.add_argument("--to", required=True, help="the new owner")
        if name == "merge":
            move.add_argument("sources", nargs="+", help="incidents folded into ID")

    status = commands.add_parser("status", help="sources, offsets, lag, dead letters, Redis")
    status.add_argument("--json", action="store_true")

    if command != "run":
        from monitor import breach_commands, respond_commands, user_commands

        respond_commands.add_parsers(commands)
        breach_commands.add_parsers(commands)
        user_commands.add_parsers(commands)
    commands.add_parser("demo", help="run Vigil on a simulated attack and show the incidents")
    simulate = commands.add_parser("simulate", help="write labelled ALS traffic with attacks")
    simulate.add_argument("--out", type=Path, required=True)
    simulate.add_argument("--customers", type=int, default=1000)
    simulate.add_argument("--days", type=int, default=7)
    simulate.add_argument("--seed", type=int, default=1)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(command_of(words)).parse_args(words)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "simulate":
        from monitor.simulation.writer import simulate

        labels = simulate(args.out, args.customers, args.days, args.seed)
        print(f"vigil: {len(labels)} labelled attacks in {args.out} (truth.json)", file=sys.stderr)
        return 0
    try:
        settings = load_settings(args.config, dict(os.environ))
        if args.command in READS_DIRECTORIES:
            check_directories(settings)
    except ConfigError as error:
        print(f"vigil: configuration error\n{error}", file=sys.stderr)
        return 2
    if args.command == "parse":
        from monitor.parse_command import parse_files
        from monitor.scan import Reading

        return parse_files(args.files, Reading(settings, args.format), args.json)
    if args.command == "demo":
        from monitor.demo import demo

        return asyncio.run(demo(settings))
    try:
        asyncio.run(check_redis(settings))
        return asyncio.run(dispatch(args, settings))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        reason = failure_in(error)
        if reason is None:
            raise
        print(f"vigil: {reason}", file=sys.stderr)
        return EXIT_STATUS


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    async with open_vigil(settings) as vigil:
        if args.command == "run":
            return await run_command(vigil, args.role)
        if args.command == "scan":
            return await scan_command(vigil, args)
        if args.command == "status":
            from monitor import status as status_view

            return await status_view.show(vigil, args.json)
        from monitor import breach_commands, respond_commands, user_commands

        if args.command == "silences":
            return await respond_commands.silences_command(vigil, args)
        if args.command == "outbox":
            return await respond_commands.outbox_command(vigil, args)
        if args.command == "breach":
            return await breach_commands.breach_command(vigil, args)
        if args.command in ("users", "tokens"):
            return await user_commands.users_command(vigil, args)
        return await incidents_command(vigil, args)


async def run_command(vigil: Vigil, role: Role) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop)
    print(f"vigil: running ({role}); Ctrl-C stops", file=sys.stderr)
    if role not in PRINTS_INCIDENTS:
        print(
            "vigil: `run --role respond` prints incidents; `vigil incidents list` lists them",
            file=sys.stderr,
        )
        await run(vigil, role, stop)
        return 0
    staff = staff_of(vigil)

    async def announce(incident: Incident, state: str) -> None:
        if state in ("created", "escalated"):
            print(incident_line(incident, staff, state), flush=True)

    await run(vigil, role, stop, announce)
    return 0


async def scan_command(vigil: Vigil, args: argparse.Namespace) -> int:
    from monitor.scan import Reading, scan

    try:
        reading = Reading(vigil.settings, args.format)
        report = await scan(args.files, reading, vigil.detection(), vigil.store)
    except (OSError, ValueError) as error:
        print(f"vigil: {error}", file=sys.stderr)
        return 1
    for incident in report.incidents:
        print(incident.to_json() if args.json else incident_line(incident, staff_of(vigil)))
    print(
        f"vigil: {report.lines} lines, {report.events} events, {report.malformed} malformed, "
        f"{len(report.incidents)} incidents",
        file=sys.stderr,
    )
    return 0


async def incidents_command(vigil: Vigil, args: argparse.Namespace) -> int:
    store = vigil.store
    if args.action == "list":
        for listed in await store.list(args.status, args.severity, args.limit):
            print(listed.to_json() if args.json else incident_line(listed, staff_of(vigil)))
        return 0
    if args.action == "reindex":
        print(f"vigil: {await store.indexer.rebuild()} incidents filed", file=sys.stderr)
        return 0
    if args.action == "customers":
        customers = await store.customers(args.id)
        if customers is None:
            print(f"vigil: no incident {args.id}", file=sys.stderr)
            return 1
        for customer in customers:
            print(customer)
        return 0
    if args.action == "show":
        incident = await store.get(args.id)
        if incident is None:
            print(f"vigil: no incident {args.id}", file=sys.stderr)
            return 1
        print(json.dumps(incident.to_dict(), indent=None if args.json else 2, ensure_ascii=False))
        return 0
    lifecycle = Lifecycle(store)
    try:
        if args.action == "ack":
            moved = await lifecycle.acknowledge(args.id, args.by, args.note)
        elif args.action == "resolve":
            moved = await lifecycle.resolve(args.id, args.by, args.classification, args.note)
        elif args.action == "assign":
            moved = await lifecycle.assign(args.id, args.to, args.by)
        elif args.action == "comment":
            moved = await lifecycle.comment(args.id, args.by, args.note)
        else:
            moved = await lifecycle.merge(args.id, args.sources, args.by)
    except TransitionRefused as error:
        print(f"vigil: {error}", file=sys.stderr)
        return 1
    print(incident_line(moved, staff_of(vigil)))
    return 0


def staff_of(vigil: Vigil) -> frozenset[str]:
    """Staff usernames are shown as they are; everyone else's are masked on screen."""
    from notifications.oncall import staff_directory

    return frozenset(staff_directory(vigil.settings))


def incident_line(incident: Incident, staff: frozenset[str], state: str | None = None) -> str:
    """One line for a screen: customers' usernames masked (the JSON forms are unmasked)."""
    from notifications.render import masked_title

    prefix = f"[{state}] " if state else ""
    title = masked_title(incident, staff)
    return (
        f"{prefix}{incident.id}  {incident.severity.upper():8} {incident.status:12} "
        f"{printable(title)}  ({incident.event_count} events, {incident.first_seen} .. "
        f"{incident.last_seen})"
    )


if __name__ == "__main__":
    sys.exit(main())
