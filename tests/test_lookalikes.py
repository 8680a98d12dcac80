"""Look-alikes fire on imitation, not on the common Vietnamese names customers share."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from bench.lookalikes import run
from detectors.engine import Detection
from detectors.impersonation.lookalikes import T0, LookalikeIdentity
from detectors.impersonation.lookalikes import registration as register
from detectors.impersonation.phishing import PhishingReferrer
from detectors.people import people_of
from monitor.detector_settings import LookalikeSettings
from monitor.directory import Customer
from monitor.events import Event
from monitor.store.keys import Keys

CUSTOMERS = {
    c.customer_id: c
    for c in (
        Customer("C-1", "huy.tran", "Trần Quang Huy", "", "huy.tran@gmail.com", "", "vi"),
        Customer("C-2", "le.thanh.dung", "Lê Thanh Dũng", "", "ltd@yahoo.com.vn", "", "vi"),
        Customer("C-3", "nguyen.van.a", "Nguyễn Văn A", "", "nva@gmail.com", "", "vi"),
        Customer(
            "C-4", "anphat", "Lê Văn Phát", "Công ty TNHH An Phát", "info@anphat.vn", "", "vi"
        ),
        Customer("C-5", "ducan", "Võ Đức An", "Công ty CP Đức An", "info@ducan.vn", "", "vi"),
    )
}
DETECTOR = LookalikeIdentity(people_of({}, CUSTOMERS, LookalikeSettings()))


@pytest.mark.parametrize(
    ("user", "email", "business", "fires"),
    [
        ("duy.tran", "duy.tran@gmail.com", "", False),
        ("le.thanh.hung", "lth@gmail.com", "", False),
        ("nguyen.van.а", "nva2@gmail.com", "", True),  # a Cyrillic а
        ("nguyen.van.a", "nva3@gmail.com", "", False),  # taken: sign-up refuses it, no imitation
        ("ketoan", "ketoan@gmail.com", "Công ty TNHH An Phát", True),
        ("ketoan2", "ketoan@anphat.vn", "Công ty TNHH An Phát", False),
        ("sales", "sales@anphatt.vn", "", True),
        ("hung", "info@ductan.vn", "Công ty TNHH Đức Tân", False),  # its own name, spelled
        ("hung2", "info@ductan.vn", "", True),  # one letter from ducan.vn, no name of its own
        ("cskh", "cskh@als-com.vn", "", True),
        ("cskh2", "cskh@gmail.com", "Aviation Logistics Corporation", True),  # ALS's own name
        ("it.test", "it.test@als.com.vn", "Aviation Logistics Corporation", False),  # at its domain
    ],
)
def test_registration(user: str, email: str, business: str, fires: bool) -> None:
    assert (DETECTOR.check(register(user, email, business)) is not None) is fires


def test_a_realistic_directory_alerts_on_at_most_one_percent_and_every_imitation() -> None:
    result = run(customers=500, registrations=200, seed=13)
    assert result.rate <= 0.01, result.false_alerts
    assert [what for what, caught in result.caught if not caught] == []


@pytest.mark.parametrize("arrived_from", ["https://als-com.vn/dang-ky", "https://www.google.com/"])
async def test_a_near_name_registered_after_arriving_from_a_look_alike_is_an_imitation(
    redis: aioredis.Redis, arrived_from: str
) -> None:
    detector = LookalikeIdentity(people_of({}, CUSTOMERS, LookalikeSettings()), ("als.com.vn",))
    visit = Event(
        timestamp=T0 - timedelta(minutes=5),
        action="http-request",
        source_ip="198.51.100.23",
        url_path="/dang-ky",
        file_path="/var/log/nginx/access.log",
        offset=7,
        extra={"http.request.referrer": arrived_from},
    )
    near = register("huy.trann", "huytrann@gmail.com")  # one letter from C-1's huy.tran
    # Arrivals are counted by the phishing detector's windows, which the look-alike one reads.
    phishing = PhishingReferrer(("als.com.vn",))
    detection = Detection(redis, Keys("vigil"), [phishing, detector], isolate=False)
    found = [f for f in await detection.process([visit, near]) if f.detector == detector.id]
    if "als-com" in arrived_from:
        (imitation,) = found
        assert imitation.affected_customers == {"C-1"}
        assert imitation.title == (
            "huy.trann registered a username close to customer C-1's"
            " after arriving from a look-alike site"
        )
    else:
        assert found == []  # a common name one letter from another's, without intent
