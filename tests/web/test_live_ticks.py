"""A burst of ballots: the streams of a process send at shared ticks, one version per tick (one state built)."""
from __future__ import annotations

from liaison.blueprints import live_stream
from liaison.fanout import Hub


def test_every_stream_of_a_tick_sends_the_version_the_first_one_found():
    hub = Hub()
    hub.publish(7, 10)
    assert hub.heard_at_tick(7, 100, 9) == 10  # the first stream at tick 100: the newest heard
    hub.publish(7, 11)  # a ballot heard while the others of the tick wake up
    assert [hub.heard_at_tick(7, 100, heard) for heard in (9, 10, 11)] == [10, 10, 10]
    assert hub.heard_at_tick(7, 101, 10) == 11  # the next tick sends the newer one
    assert hub.heard_at_tick(8, 100, 3) == 3  # another meeting: its own versions


def test_the_ticks_kept_stay_few():
    hub = Hub()
    for tick in range(1000):
        hub.heard_at_tick(1, tick, tick)
    assert len(hub._ticks) <= 256


def test_a_stream_that_sent_lately_waits_for_the_next_tick_and_sends_its_version(app, monkeypatch):
    """Two streams woken at different moments of one tick send the same version (the state is built once)."""
    hub = Hub()
    hub.publish(5, 3)
    clock = {"now": 1000.10}
    slept = []
    monkeypatch.setattr(live_stream.time, "monotonic", lambda: clock["now"])

    def sleep(seconds):
        slept.append(round(seconds, 3))
        clock["now"] += seconds

    monkeypatch.setattr(live_stream.time, "sleep", sleep)
    sent_at = 1000.05  # both sent 50 ms ago
    versions = []
    for woke_at, heard in ((1000.10, 4), (1000.20, 6)):  # the second wakes later, after two more ballots
        clock["now"] = woke_at
        hub.publish(5, heard)
        versions.append(live_stream.coalesced_version(hub, 5, heard, 2, sent_at))
    assert versions == [4, 4]  # the version the tick's first stream found
    assert slept == [0.15, 0.05]  # both until the tick at 1000.25
    clock["now"] = 1000.21  # a stream that sent the tick's version already (at once, just before): the newest
    assert live_stream.coalesced_version(hub, 5, 6, 4, sent_at=1000.20) == 6 and slept[-1] == 0.04
    clock["now"] = 1000.60
    assert live_stream.coalesced_version(hub, 5, 6, 4, sent_at=1000.0) == 6  # nothing sent lately: at once
    assert len(slept) == 3
