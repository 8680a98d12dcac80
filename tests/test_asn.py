"""The bundled ASN table in compact arrays answers as geoip2fast's own lookup does."""

from __future__ import annotations

import random
import sys

import pytest
from geoip2fast import GeoIP2Fast

from detectors.asn import EMPTY, load


def test_the_compact_table_names_every_network_as_geoip2fast_does() -> None:
    table = load()
    reference = GeoIP2Fast(geoip2fast_data_file="geoip2fast-asn.dat.gz")
    rng = random.Random(7)
    addresses = ["8.8.8.8", "1.1.1.1", "203.113.131.1", "0.0.0.0", "255.255.255.255"]
    addresses += [".".join(str(rng.randrange(256)) for _ in range(4)) for _ in range(20_000)]
    named = 0
    for ip in addresses:
        name = reference.lookup(ip).asn_name
        expected = name if name and name != "--" else None
        assert table.name_of(ip) == expected, ip
        named += expected is not None
    assert named > 10_000  # most of the address space belongs to some network


def test_a_table_that_does_not_load_names_no_network(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert load() is EMPTY
    assert EMPTY.name_of("8.8.8.8") is None
    assert "did not load" in caplog.text
