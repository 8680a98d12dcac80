"""Who is paged: the weekly rotation with its handover and overrides, or the directory's flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.directory import load_staff
from monitor.respond_settings import OverrideSettings, RotationSettings
from notifications.oncall import Rota

STAFF = load_staff(Path(__file__).parents[1] / "config" / "staff.csv")
HANDOVER = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hanoi


def test_the_rotation_hands_over_weekly_at_the_handover_time() -> None:
    rota = Rota(
        RotationSettings(members=("hoa.nguyen", "lan.tran", "minh.pham"), start=HANDOVER), STAFF
    )
    assert rota.on_call(HANDOVER) == "hoa.nguyen"
    assert rota.backup(HANDOVER) == "lan.tran"
    assert rota.on_call(HANDOVER + timedelta(days=7) - timedelta(seconds=1)) == "hoa.nguyen"
    assert rota.on_call(HANDOVER + timedelta(days=7)) == "lan.tran"
    assert rota.on_call(HANDOVER + timedelta(days=21)) == "hoa.nguyen"


def test_an_override_takes_the_shift() -> None:
    override = OverrideSettings(
        user="minh.pham", start=HANDOVER + timedelta(days=1), end=HANDOVER + timedelta(days=2)
    )
    rota = Rota(
        RotationSettings(members=("hoa.nguyen", "lan.tran"), start=HANDOVER, overrides=(override,)),
        STAFF,
    )
    assert rota.on_call(HANDOVER + timedelta(days=1, hours=3)) == "minh.pham"
    assert rota.on_call(HANDOVER + timedelta(days=2)) == "hoa.nguyen"


def test_without_a_rotation_the_directory_flags_decide() -> None:
    rota = Rota(RotationSettings(), STAFF)
    assert (rota.on_call(HANDOVER), rota.backup(HANDOVER)) == ("hoa.nguyen", "lan.tran")
    assert rota.resolve("head_of_internal_control", HANDOVER) == "head_of_internal_control"
    assert rota.address("lan.tran") == "lan.tran@als.com.vn"
