"""A block of lines splits the same at C speed (plain ASCII) as line by line: offsets, carriage
returns, cut lines and the line budget alike."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.sources.follower import Follower, Line, decode

LIMIT = 12
TEXT = st.text(alphabet=st.sampled_from("ab \r\té\x00"), max_size=20)


def one_by_one(block: bytes, position: int, max_lines: int) -> tuple[list[Line], int]:
    """The former reading: each line found, cut and decoded on its own."""
    lines: list[Line] = []
    start = 0
    while start < len(block) and len(lines) < max_lines:
        end = block.index(b"\n", start)
        raw = block[start:end]
        if len(raw) > LIMIT:
            lines.append(Line(position + start, decode(raw[:LIMIT]), truncated=True))
        else:
            lines.append(Line(position + start, decode(raw)))
        start = end + 1
    return lines, position + start


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(TEXT, min_size=1, max_size=12),
    ascii_only=st.booleans(),
    max_lines=st.integers(1, 14),
    position=st.integers(0, 10**9),
)
def test_a_block_splits_as_line_by_line(
    texts: list[str], ascii_only: bool, max_lines: int, position: int
) -> None:
    if ascii_only:
        texts = [text.replace("é", "e").replace("\r", "") for text in texts]
    block = "".join(f"{text}\n" for text in texts).encode()
    follower = Follower.__new__(Follower)
    follower.max_line_bytes = LIMIT
    lines: list[Line] = []
    end = follower.split(block, position, lines, max_lines)
    assert (lines, end) == one_by_one(block, position, max_lines)
    assert all(type(line) is Line for line in lines)


def test_a_file_reads_the_same_in_any_budget(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes(b"one\ntwo\r\n\xc3\xa9t\xc3\xa9\nfour\n" + b"x" * 300 + b"\nsix")
    follower = Follower.open(str(log), 0, 256)
    assert follower is not None
    everything, end = follower.read(100)
    assert end == log.stat().st_size - 3 and len(everything) == 5
    assert everything[1] == Line(4, "two") and everything[2].text == "été"
    assert everything[4].truncated and everything[4].offset == 20
    for budget in (1, 2, 3):
        follower.offset = 0
        lines: list[Line] = []
        while True:
            batch, follower.offset = follower.read(budget)
            if not batch:
                break
            assert len(batch) <= budget
            lines += batch
        assert lines == everything
