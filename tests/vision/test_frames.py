"""Frame pacing as pure state: the rate, latest-wins, pause, and the bounded window of frame items.

Time is a number passed in; each test plays the session's part: offer, wait until ``due()``, take,
(encode), ``may_send``, ``sent``.
"""

from __future__ import annotations

import itertools

import pytest

from realtime_sdk import ConfigurationError
from realtime_sdk.vision import DEFAULT_KEEP, FrameScheduler


def drain(s: FrameScheduler[int], now: float, item: str) -> tuple[int | None, list[str]]:
    """Take what is due at ``now`` and report it sent as ``item``: (frame, ids to delete)."""
    slot = s.take(now)
    if slot is None:
        return None, []
    assert s.may_send(slot)
    return slot.frame, s.sent(slot, item)


def test_thirty_frames_in_one_second_at_one_fps_give_one_frame_the_latest() -> None:
    s: FrameScheduler[int] = FrameScheduler(fps=1.0)
    sent: list[int] = []
    for i in range(30):
        now = i / 30
        assert s.offer(i, now)
        assert s.take(now) is None  # the window is still open
    assert s.due() == pytest.approx(1.0)
    slot = s.take(1.0)
    assert slot is not None
    sent.append(slot.frame)
    s.sent(slot, "item_1")
    assert sent == [29]
    assert s.take(5.0) is None and s.due() is None  # nothing else was waiting


def test_a_steady_stream_goes_out_at_the_rate() -> None:
    s: FrameScheduler[int] = FrameScheduler(fps=2.0)
    out: list[tuple[float, int]] = []
    for i in range(300):  # 10 s of 30 fps
        now = i / 30
        s.offer(i, now)
        due = s.due()
        if due is not None and due <= now:
            frame, _ = drain(s, now, f"item_{i}")
            assert frame is not None
            out.append((now, frame))
    starts = [t for t, _ in out]
    assert 18 <= len(out) <= 20
    assert all(b - a >= 0.5 - 1e-9 for a, b in itertools.pairwise(starts))
    assert all(frame == round(t * 30) for t, frame in out)  # each one the newest at its time


def test_a_frame_offered_while_one_is_in_flight_replaces_the_waiting_one() -> None:
    s: FrameScheduler[str] = FrameScheduler(fps=10.0)
    s.offer("a", 0.0)
    slot = s.take(0.1)
    assert slot is not None and slot.frame == "a"
    # Encoding "a" is slow: "b", "c", "d" arrive; their window closes, but "a" is still in flight.
    for frame, now in (("b", 0.12), ("c", 0.2), ("d", 0.5)):
        s.offer(frame, now)
    assert s.due() is None and s.take(0.6) is None  # one in flight at a time
    assert s.sent(slot, "item_a") == []
    assert s.due() == pytest.approx(0.22)  # the window of "b" closed long ago: due at once
    nxt = s.take(0.6)
    assert nxt is not None and nxt.frame == "d"


def test_paused_nothing_is_sent_nor_queued() -> None:
    s: FrameScheduler[int] = FrameScheduler(fps=1.0, paused=True)
    assert s.paused
    for i in range(30):
        assert s.offer(i, i / 30) is False
    assert s.due() is None and s.take(10.0) is None
    s.set_paused(False)
    assert s.due() is None and s.take(10.0) is None  # frames offered while paused are gone
    assert s.offer(99, 10.0)
    frame, _ = drain(s, 11.0, "item_99")
    assert frame == 99


def test_pausing_drops_the_waiting_frame_and_stops_the_one_being_encoded() -> None:
    s: FrameScheduler[int] = FrameScheduler(fps=1.0)
    s.offer(1, 0.0)
    slot = s.take(1.0)
    assert slot is not None
    s.offer(2, 1.1)
    s.set_paused(True)
    assert not s.may_send(slot)  # encoded while the pause came: not sent
    assert s.sent(slot, None) == []
    s.set_paused(False)
    assert not s.may_send(slot)  # nor after resuming: it belongs to before the pause
    assert s.due() is None and s.take(5.0) is None  # frame 2 was dropped, not kept for later
    assert s.items == []


def test_only_the_last_frames_stay_in_the_conversation() -> None:
    assert DEFAULT_KEEP == 3
    s: FrameScheduler[int] = FrameScheduler(fps=1.0)
    deleted: list[str] = []
    for i in range(6):
        s.offer(i, float(i))
        _, old = drain(s, i + 1.0, f"item_{i}")
        deleted += old
    assert deleted == ["item_0", "item_1", "item_2"]
    assert s.items == ["item_3", "item_4", "item_5"]


def test_keep_is_configurable_and_forget_frees_a_place() -> None:
    s: FrameScheduler[int] = FrameScheduler(fps=1.0, keep=1)
    s.offer(0, 0.0)
    assert drain(s, 1.0, "item_0")[1] == []
    s.offer(1, 1.0)
    assert drain(s, 2.0, "item_1")[1] == ["item_0"]
    s.forget("item_1")  # deleted by the app
    s.forget("item_unknown")  # harmless
    s.offer(2, 2.0)
    assert drain(s, 3.0, "item_2")[1] == []
    assert s.items == ["item_2"]


@pytest.mark.parametrize("fps", [0, -1, float("inf"), float("nan"), True, "1"])
def test_a_bad_rate_is_a_configuration_error(fps: object) -> None:
    with pytest.raises(ConfigurationError, match="video_fps"):
        FrameScheduler(fps=fps)  # type: ignore[arg-type]


@pytest.mark.parametrize("keep", [0, -2, 1.5, True])
def test_a_bad_keep_is_a_configuration_error(keep: object) -> None:
    with pytest.raises(ConfigurationError, match="keep"):
        FrameScheduler(keep=keep)  # type: ignore[arg-type]
