"""The breach record: a deleted, changed or rewritten entry is found by `verify`."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import redis.asyncio as aioredis

from monitor.incidents import IncidentStore
from monitor.settings import load_settings
from monitor.store.keys import Keys
from playbooks.deliveries import disagreements
from playbooks.message_keys import customer_key
from playbooks.playbook import Playbook
from playbooks.record import HEAD_HEADER, entry_hash
from playbooks.seal import seal_for
from tests.breach_parts import by_email, incident, playbook_fixture, send_all, verify
from tests.mailbox import Mailbox

playbook = playbook_fixture(customers=20)


async def declared(playbook: Playbook, store: IncidentStore) -> str:
    incident_id = await incident(store, ["C-0", "C-1", "C-2"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    assert await verify(playbook, breach.id) == []
    return breach.id


async def test_a_changed_entry_fails_its_hmac(
    playbook: Playbook, store: IncidentStore, redis: aioredis.Redis, keys: Keys
) -> None:
    breach_id = await declared(playbook, store)
    first = (await playbook.record.entries(breach_id))[0]
    forged = dict(first, data={**first["data"], "by": "someone else"})
    await redis.lset(keys.breach(breach_id, "record"), 0, json.dumps(forged))
    assert "entry 1: its content does not match its HMAC" in await verify(playbook, breach_id)


async def test_deleting_the_last_entry_is_found_even_with_head_and_count_reset(
    playbook: Playbook, store: IncidentStore, redis: aioredis.Redis, keys: Keys
) -> None:
    breach_id = await declared(playbook, store)
    await redis.rpop(keys.breach(breach_id, "record"))
    assert "the last entry is not the stored head" in await verify(playbook, breach_id)
    entries = await playbook.record.entries(breach_id)
    await redis.set(keys.breach(breach_id, "head"), entries[-1]["hash"])
    await redis.set(keys.breach(breach_id, "count"), len(entries))
    problems = await verify(playbook, breach_id)
    assert problems == [
        f"entry {len(entries) + 1} (anchored {problems[0].split('anchored ')[1].split(')')[0]})"
        " is missing: the record was truncated"
    ]


async def test_a_chain_rewritten_with_fresh_hashes_is_found(
    playbook: Playbook, store: IncidentStore, redis: aioredis.Redis, keys: Keys
) -> None:
    """Rewritten end to end, head and count too: with a guessed key, and with the real one."""
    breach_id = await declared(playbook, store)
    original = await playbook.record.entries(breach_id)
    for key, expected in (
        (b"a guessed key", "entry 1: its content does not match its HMAC"),
        (playbook.record.seal.key, "differs from the head anchored"),
    ):
        previous, rewritten = "", []
        for entry in original:
            changed = dict(entry, prev=previous, data={**entry["data"], "summary": "test"})
            changed["hash"] = entry_hash(changed, key)
            previous = changed["hash"]
            rewritten.append(changed)
        await redis.delete(keys.breach(breach_id, "record"))
        await redis.rpush(keys.breach(breach_id, "record"), *map(json.dumps, rewritten))
        await redis.set(keys.breach(breach_id, "head"), previous)
        problems = await verify(playbook, breach_id)
        assert any(expected in problem for problem in problems), problems


async def test_every_email_carries_a_head_that_is_on_the_chain(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    by_email(playbook)
    breach_id = await declared(playbook, store)
    await send_all(playbook)
    entries = {f"{e['seq']}:{e['hash']}" for e in await playbook.record.entries(breach_id)}
    heads = [str(message[HEAD_HEADER]) for message in mailbox.messages]
    assert len(heads) == 3 + 2 and all(head in entries for head in heads)


def test_the_key_is_made_once_readable_by_vigil_only(tmp_path: Path) -> None:
    settings = load_settings(None, {"VIGIL_DATA_DIR": str(tmp_path / "var" / "redis")})
    first, again = seal_for(settings), seal_for(settings)
    path = tmp_path / "var" / "breach" / "record.key"
    assert first.key == again.key and len(first.key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.anchors == tmp_path / "var" / "breach" / "record-heads.log"
    configured = load_settings(
        None, {"VIGIL_DATA_DIR": str(tmp_path / "var" / "redis"), "VIGIL_RECORD_KEY": "k" * 40}
    )
    assert seal_for(configured).key == b"k" * 40


async def test_a_delivery_missing_from_the_record_is_reported_then_written(
    playbook: Playbook, store: IncidentStore
) -> None:
    """As after a kill between the outbox's "sent" and the record's notice-sent entry."""
    breach_id = await declared(playbook, store)
    key = customer_key(breach_id, "C-0")
    await playbook.outbox.claim(timedelta(minutes=1), count=100)
    await playbook.outbox.sent(key, "<m1@als.com.vn>")
    entries = await playbook.record.entries(breach_id)
    problems = await disagreements(playbook.store, playbook.outbox, breach_id, entries)
    assert problems == [f"1 delivered messages have no notice-sent entry, e.g. {key}"]
    await playbook.run(breach_id)  # the restart
    entries, problems = await playbook.record.verify(breach_id)
    assert problems == []
    assert await disagreements(playbook.store, playbook.outbox, breach_id, entries) == []
    (sent,) = [e["data"] for e in entries if e["kind"] == "notice-sent"]
    assert (sent["key"], sent["detail"], sent["recovered"]) == (key, "<m1@als.com.vn>", True)
