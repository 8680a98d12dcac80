"""The ASN table bundled with geoip2fast, for IPv4, held in compact arrays.

geoip2fast keeps its whole table (countries and networks, 494,069 ranges) as Python lists:
75 MB in every detect process that looks one address up. Only three columns and the names
are needed, which fit in 6 MB as arrays and one blob of names; a child process reads the
table and hands them over, so the lists never exist in the detect process at all (its peak
memory is the bar it is held to).
"""

from __future__ import annotations

import gzip
import logging
import pickle
import socket
import subprocess
import sys
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources
from itertools import accumulate, chain

import msgspec

log = logging.getLogger(__name__)
DATA_FILE = "geoip2fast-asn.dat.gz"
# The table's columns, as geoip2fast 1.2 writes them (data version 120, country and ASN).
VERSION = 120
# First addresses, name ids, prefix lengths, the names' ends in the blob, the names.
Columns = tuple[bytes, bytes, bytes, bytes, bytes]


@dataclass(frozen=True, slots=True)
class AsnTable:
    """Ranges of IPv4 addresses by their first address, each with its network's name."""

    firsts: memoryview  # first address of each range, ascending (unsigned 32-bit)
    ids: memoryview  # index of its name
    lengths: bytes  # its prefix length
    ends: memoryview  # where each name ends in `names`
    names: bytes  # every name, UTF-8, one after the other

    def name_of(self, ip: str) -> str | None:
        """The name of the network holding `ip` (an IPv4 address), or None."""
        number = int.from_bytes(socket.inet_aton(ip), "big")
        index = bisect_right(self.firsts, number) - 1
        if index < 0 or number >= self.firsts[index] + (1 << (32 - self.lengths[index])):
            return None
        name_id = self.ids[index]
        start = self.ends[name_id - 1] if name_id else 0
        name = self.names[start : self.ends[name_id]].decode()
        return name if name and name != "--" else None

    @classmethod
    def from_columns(cls, columns: Columns) -> AsnTable:
        """The table over the columns' own bytes: cast, not copied."""
        firsts, ids, lengths, ends, names = columns
        return cls(words(firsts), words(ids), lengths, words(ends), names)


def words(column: bytes) -> memoryview:
    """The column's bytes read as unsigned 32-bit numbers, in place."""
    return memoryview(column).cast("I")


EMPTY = AsnTable.from_columns((b"", b"", b"", b"", b""))


def load() -> AsnTable:
    """The table, read by a child process (see the module's docstring); if that fails, an
    empty table, said once in the log: the detectors go on without networks' names."""
    try:
        done = subprocess.run(
            [sys.executable, "-P", "-c", "from detectors.asn import main; main()"],
            capture_output=True,
            check=True,
            timeout=30,
        )
        return AsnTable.from_columns(msgspec.msgpack.decode(done.stdout, type=Columns))
    except (OSError, subprocess.SubprocessError, msgspec.DecodeError, TypeError) as error:
        log.error("the bundled ASN table did not load (%s): no network names", error)
        return EMPTY


def columns() -> Columns:
    """The three columns and the names, from geoip2fast's data file."""
    path = resources.files("geoip2fast").joinpath(DATA_FILE)
    with gzip.open(str(path), "rb") as data:
        # The installed package's own file, as geoip2fast itself loads it.
        version, _, _, table = pickle.load(data)  # noqa: S301
    if version != VERSION or len(table) != 10:
        raise ValueError(f"{DATA_FILE}: a table of another shape (version {version})")
    names, firsts, ids, lengths = table[3], table[5], table[7], table[9]
    encoded = [str(name).encode() for name in names]
    return (
        array("I", chain.from_iterable(firsts)).tobytes(),
        array("I", chain.from_iterable(ids)).tobytes(),
        bytes(chain.from_iterable(lengths)),
        array("I", accumulate(map(len, encoded))).tobytes(),
        b"".join(encoded),
    )


def main() -> None:
    """In the child: the columns to standard output, in MessagePack."""
    sys.stdout.buffer.write(msgspec.msgpack.encode(columns()))
