"""Checked by mypy in tests/test_typing.py, never run: decoded events narrow to their classes."""

from typing import Any, Literal, assert_type

from msgspec import UnsetType

from realtime_sdk import _generated as gen
from realtime_sdk.events import UnknownServerEvent, decode


def by_match(frame: bytes) -> str:
    event = decode(frame)
    match event:
        case gen.ResponseOutputAudioDelta():
            assert_type(event, gen.ResponseOutputAudioDelta)
            assert_type(event.delta, bytes)
            return event.item_id
        case gen.Error():
            assert_type(event.error, gen.ErrorError)
            return event.error.message
        case UnknownServerEvent():
            assert_type(event.raw, dict[str, Any])
            return event.type
        case _:
            return ""


def by_isinstance(frame: bytes) -> int:
    event = decode(frame)
    if isinstance(event, gen.ResponseDone):
        assert_type(event, gen.ResponseDone)
        assert_type(event.response, gen.RealtimeResponse)
        return 1
    if isinstance(event, gen.InputAudioBufferSpeechStarted):
        assert_type(event.audio_start_ms, int)
        return event.audio_start_ms
    return 0


def building() -> bytes:
    from realtime_sdk.events import encode

    append = gen.InputAudioBufferAppend(audio=b"\0\0")
    return encode(append)


def wrong_field(frame: bytes) -> None:
    event = decode(frame)
    if isinstance(event, gen.ResponseOutputTextDelta):
        _ = event.no_such_field  # type: ignore[attr-defined]


def by_type_string(event: gen.ServerEvent) -> bytes:
    # each tagged class declares ClassVar[Literal[wire type]]: comparing .type narrows the union
    if event.type == "response.output_audio.delta":
        assert_type(event, gen.ResponseOutputAudioDelta)
        return event.delta
    return b""


def by_type_string_after_unknowns(frame: bytes) -> str:
    event = decode(frame)
    if isinstance(event, UnknownServerEvent):
        # its type is any string, so mypy narrows on ``.type`` only once unknown events are set aside
        return event.type
    if event.type == "response.output_text.delta":
        assert_type(event, gen.ResponseOutputTextDelta)
        return event.delta
    return ""


def known_values_are_visible(done: gen.ResponseDone) -> str:
    status = done.response.status
    assert_type(
        status,
        Literal["completed", "cancelled", "failed", "incomplete", "in_progress"] | str | None | UnsetType,
    )
    return status if isinstance(status, str) else ""
