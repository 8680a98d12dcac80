"""Which `vigil run` roles print incidents as they change: where someone reads them."""

from __future__ import annotations

from monitor.cli import build_parser, command_of
from monitor.service import PRINTS_INCIDENTS, Role


def test_only_the_whole_service_and_respond_print_incidents() -> None:
    # Ingest never sees an incident; detect is the critical path and nobody reads its console.
    assert frozenset({Role.ALL, Role.RESPOND}) == PRINTS_INCIDENTS


def test_run_is_read_without_the_other_commands() -> None:
    argv = ["--config", "run.yaml", "-v", "run", "--role", "ingest"]
    assert command_of(argv) == "run"
    args = build_parser(command_of(argv)).parse_args(argv)
    assert (args.command, args.role, str(args.config)) == ("run", Role.INGEST, "run.yaml")
    assert command_of(["--config", "run", "status"]) == "status"
    assert command_of(["--help"]) is None
    assert build_parser(None).parse_args(["users", "list"]).command == "users"
