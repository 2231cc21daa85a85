"""An alert's identity across a window's episodes: the id, the outbox record and the message carry the episode, and
an alert of the first episode (0) looks exactly as it did before episodes existed."""

from __future__ import annotations

import json

import pytest

from spendrail.alerts.model import Alert, AlertKind, alert_id
from spendrail.alerts.received import ReceivedAlert
from spendrail.errors import MalformedAlertError

AT = 1_796_000_000
DAY = "2026-11-28"


def soft_cap(episode: int = 0) -> Alert:
    return Alert(
        AlertKind.SOFT_CAP, "shop", "daily", "2026-11-28", 820_000, 1_000_000, AT, "Europe/Paris", episode=episode
    )


def test_the_first_episode_keeps_the_id_record_and_message_of_before() -> None:
    first = soft_cap()
    assert first.alert_id == alert_id("shop", AlertKind.SOFT_CAP, "daily", "2026-11-28") == f"shop/soft_cap/daily/{DAY}"
    assert "ep" not in json.loads(first.record())
    assert "episode" not in first.message()
    old_record = '{"at":1796000000,"c":1000000,"k":"soft_cap","s":820000,"t":"shop","tz":"Europe/Paris","w":"daily",'
    old_record += '"wk":"2026-11-28"}'  # in an outbox before episodes existed
    assert Alert.from_record(old_record) == first == Alert.from_record(first.record())


def test_a_later_episode_appends_itself_to_the_id_and_travels_with_the_alert() -> None:
    again = soft_cap(episode=2)
    assert again.alert_id == "shop/soft_cap/daily/2026-11-28/2" != soft_cap().alert_id
    assert Alert.from_record(again.record()) == again
    message = again.message()
    assert (message["alertId"], message["episode"]) == ("shop/soft_cap/daily/2026-11-28/2", 2)
    assert again.email_text().endswith("Alert shop/soft_cap/daily/2026-11-28/2")


def test_a_subscriber_reads_the_episode_back_and_derives_the_same_id() -> None:
    for episode in (0, 1, 3):
        sent = soft_cap(episode)
        received = ReceivedAlert.from_message(json.dumps(sent.message()))
        assert received.alert.episode == episode
        assert received.alert_id == received.alert.alert_id == sent.alert_id
        assert "episode" not in received.alert.extra  # a contract field, not a kind-specific fact


@pytest.mark.parametrize("episode", ["1", 1.5, -1, True, None])
def test_an_episode_that_is_not_a_whole_number_is_malformed(episode: object) -> None:
    with pytest.raises(MalformedAlertError):
        ReceivedAlert.from_message(json.dumps({**soft_cap(1).message(), "episode": episode}))
