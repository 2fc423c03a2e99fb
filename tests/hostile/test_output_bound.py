"""The output audio stream's bound in seconds: the oldest unread audio goes, markers stay."""

from __future__ import annotations

import pytest

from realtime_sdk.errors import AudioFormatError
from realtime_sdk.session._audio_out import AudioInterrupted, OutputAudioChunk, OutputAudioStream

HALF_SECOND = b"\1\0" * 12000  # 24 kHz PCM16


def stream(**kw: float) -> OutputAudioStream:
    return OutputAudioStream(24000, "pcm16", 1, "HQ", report=None, on_close=lambda _: None, **kw)


def test_past_the_bound_the_oldest_unread_chunks_are_dropped() -> None:
    s = stream(max_buffered_seconds=1.0)
    for i in range(3):
        s._put(OutputAudioChunk("resp", f"item_{i}", 0, HALF_SECOND))
    kept = s.read_nowait()
    assert [c.item_id for c in kept if isinstance(c, OutputAudioChunk)] == ["item_1", "item_2"]
    assert s.dropped_seconds == pytest.approx(0.5)
    s._put(OutputAudioChunk("resp", "item_3", 0, HALF_SECOND))  # read: room again
    assert len(s.read_nowait()) == 1 and s.dropped_seconds == pytest.approx(0.5)


def test_an_interruption_marker_is_never_dropped() -> None:
    s = stream(max_buffered_seconds=1.0)
    s._put(OutputAudioChunk("resp", "item_0", 0, HALF_SECOND))
    s._interrupted(AudioInterrupted("resp", "item_0", 0, 0))
    for i in range(1, 4):
        s._put(OutputAudioChunk("resp2", f"item_{i}", 0, HALF_SECOND))
    items = s.read_nowait()
    assert isinstance(items[0], AudioInterrupted)
    assert [c.item_id for c in items[1:] if isinstance(c, OutputAudioChunk)] == ["item_2", "item_3"]


def test_a_bound_that_is_not_positive_is_refused() -> None:
    with pytest.raises(AudioFormatError, match="max_buffered_seconds"):
        stream(max_buffered_seconds=0)
