"""Pure parts of the session, no socket: configuration arithmetic and the bounded event stream."""

from __future__ import annotations

import asyncio

import pytest
from support import parked

from realtime_sdk import (
    AudioConfiguration,
    AudioInput,
    AudioOutput,
    EventsDroppedError,
    SemanticTurnDetection,
    SessionProperties,
    TurnDetection,
)
from realtime_sdk import types as sdk_types
from realtime_sdk._config import as_properties, diff, merge, normalise
from realtime_sdk.session._streams import EventStream

from .conftest import until


def test_pipecat_names_are_the_generated_classes() -> None:
    import realtime_sdk._generated as g

    assert sdk_types.SessionProperties is g.RealtimeSessionCreateRequestGA
    assert sdk_types.AudioConfiguration is g.RealtimeSessionCreateRequestGAAudio
    assert sdk_types.AudioInput is g.RealtimeSessionCreateRequestGAAudioInput
    assert sdk_types.AudioOutput is g.RealtimeSessionCreateRequestGAAudioOutput
    assert sdk_types.InputAudioTranscription is g.AudioTranscription
    assert sdk_types.InputAudioNoiseReduction is g.RealtimeSessionCreateRequestGAAudioInputNoiseReduction
    assert sdk_types.TurnDetection is g.RealtimeTurnDetectionServerVad
    assert sdk_types.SemanticTurnDetection is g.RealtimeTurnDetectionSemanticVad
    assert sdk_types.PCMAudioFormat is g.RealtimeAudioFormatsAudioPcm
    assert sdk_types.PCMUAudioFormat is g.RealtimeAudioFormatsAudioPcmu
    assert sdk_types.PCMAAudioFormat is g.RealtimeAudioFormatsAudioPcma


def test_merge_lays_set_fields_over_and_recurses_into_audio() -> None:
    base = SessionProperties(
        instructions="a",
        audio=AudioConfiguration(
            input=AudioInput(turn_detection=TurnDetection()), output=AudioOutput(voice="alloy")
        ),
    )
    update = SessionProperties(audio=AudioConfiguration(output=AudioOutput(speed=1.1)))
    merged = merge(base, update)
    assert merged == SessionProperties(
        instructions="a",
        audio=AudioConfiguration(
            input=AudioInput(turn_detection=TurnDetection()), output=AudioOutput(voice="alloy", speed=1.1)
        ),
    )
    # A tagged value (turn detection) is replaced whole, never merged with another variant.
    switched = merge(base, SessionProperties(audio=AudioConfiguration(input=AudioInput(turn_detection=None))))
    assert switched.audio.input.turn_detection is None  # type: ignore[union-attr]


def test_diff_is_top_level_and_none_when_equal() -> None:
    old = SessionProperties(instructions="a", max_output_tokens=5)
    assert diff(old, old) is None
    assert diff(old, SessionProperties(instructions="a", max_output_tokens=6)) == SessionProperties(
        max_output_tokens=6
    )
    # An explicit None differs from "never set": it is sent (as null).
    assert diff(old, merge(old, SessionProperties(instructions=None))) == SessionProperties(instructions=None)


def test_normalise_translates_pipecat_false() -> None:
    props = SessionProperties(audio=AudioConfiguration(input=AudioInput(turn_detection=False)))  # type: ignore[arg-type]
    assert normalise(props).audio.input.turn_detection is None  # type: ignore[union-attr]
    semantic = SessionProperties(
        audio=AudioConfiguration(input=AudioInput(turn_detection=SemanticTurnDetection()))
    )
    assert normalise(semantic) is semantic


def test_as_properties_accepts_dicts_and_rejects_unknown_fields() -> None:
    assert as_properties({"instructions": "x", "max_output_tokens": "inf"}) == SessionProperties(
        instructions="x", max_output_tokens="inf"
    )
    assert as_properties(None) == SessionProperties()
    with pytest.raises(TypeError, match="instructionz"):
        as_properties({"instructionz": "x"})
    with pytest.raises(TypeError):
        as_properties(42)  # type: ignore[arg-type]


async def test_stream_order_and_clean_end() -> None:
    stream: EventStream[int] = EventStream(3, name="t")
    for i in range(3):
        await stream.put(i)
    stream.close()
    assert [i async for i in stream] == [0, 1, 2]


async def test_stream_backpressure_with_a_live_iterator() -> None:
    stream: EventStream[int] = EventStream(2, name="t")
    it = aiter(stream)
    producer = asyncio.create_task(_produce(stream, 10))
    await until(lambda: len(stream) == 2)
    assert not producer.done()  # blocked, not dropping
    got = [await anext(it) for _ in range(10)]
    await producer
    assert got == list(range(10))


async def _produce(stream: EventStream[int], n: int) -> None:
    for i in range(n):
        await stream.put(i)


async def test_stream_without_iterator_drops_loudly_and_releases_a_blocked_put() -> None:
    stream: EventStream[int] = EventStream(2, name="t", warn=False)
    it = aiter(stream)
    producer = asyncio.create_task(_produce(stream, 5))
    await until(lambda: len(stream) == 2)
    del it  # the iterator goes away: the blocked put must not stay blocked
    async with asyncio.timeout(5):
        await producer
    later = aiter(stream)
    assert [await anext(later), await anext(later)] == [0, 1]
    with pytest.raises(EventsDroppedError) as info:
        await anext(later)
    assert info.value.dropped == 3
    await stream.put(7)
    assert await anext(later) == 7


async def test_stream_close_with_error_after_draining() -> None:
    stream: EventStream[int] = EventStream(4, name="t")
    await stream.put(1)
    stream.close(RuntimeError("gone"))
    it = aiter(stream)
    assert await anext(it) == 1
    with pytest.raises(RuntimeError, match="gone"):
        await anext(it)
    await stream.put(2)  # after close: ignored, never blocks
    assert len(stream) == 0


async def test_put_nowait_takes_while_there_is_room_and_leaves_the_rest_to_put() -> None:
    stream: EventStream[int] = EventStream(2, name="t")
    it = aiter(stream)
    assert stream.put_nowait(0) and stream.put_nowait(1)
    assert not stream.put_nowait(2)  # full: the caller awaits put instead, which waits for room
    assert [await anext(it), await anext(it)] == [0, 1]
    stream.close()
    assert not stream.put_nowait(3)  # closed: nothing is taken


async def test_cancelling_one_waiting_consumer_leaves_the_other_waiting() -> None:
    stream: EventStream[int] = EventStream(4, name="t")
    first, second = aiter(stream), aiter(stream)
    a = asyncio.create_task(anext(first))
    b = asyncio.create_task(anext(second))
    await until(lambda: parked(a) and parked(b))
    a.cancel()
    with pytest.raises(asyncio.CancelledError):
        await a
    assert stream.put_nowait(5)  # wakes the one still waiting
    async with asyncio.timeout(5):
        assert await b == 5
