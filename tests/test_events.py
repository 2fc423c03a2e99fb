"""The typed event layer against real traffic, and decode's contract on arbitrary input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_sdk import _generated as gen
from realtime_sdk.errors import ProtocolError
from realtime_sdk.events import (
    UnknownClientEvent,
    UnknownServerEvent,
    UnknownTranslationClientEvent,
    UnknownTranslationServerEvent,
    UnknownWebhookEvent,
    decode,
    decode_client,
    decode_translation,
    decode_translation_client,
    decode_webhook,
    encode,
)
from realtime_sdk.types import RealtimeServerSession, confirmed_response, confirmed_session

RECORDED = Path(__file__).parent / "data" / "recorded"


def lines(name: str) -> list[bytes]:
    return (RECORDED / name).read_bytes().splitlines()


@pytest.mark.parametrize(
    ("name", "decoder", "table"),
    [
        ("openai_ga.server.jsonl", decode, gen.SERVER_EVENT_TYPES),
        ("openai_ga.client.jsonl", decode_client, gen.CLIENT_EVENT_TYPES),
    ],
)
def test_recorded_ga_traffic_decodes_typed_and_round_trips(name: str, decoder: Any, table: Any) -> None:
    frames = lines(name)
    assert len(frames) in (884, 103)
    for frame in frames:
        original = json.loads(frame)
        event = decoder(frame)
        assert not isinstance(event, UnknownServerEvent | UnknownClientEvent), event
        assert type(event) is table[original["type"]]
        assert event.type == original["type"]
        # every key survives, the undocumented ones too (the overlay types them: phase, obfuscation...)
        assert json.loads(encode(event)) == original
        # and decoding the re-encoded bytes gives an equal struct
        assert decoder(encode(event)) == event


def test_audio_deltas_are_bytes() -> None:
    for frame in lines("openai_ga.server.jsonl"):
        event = decode(frame)
        if isinstance(event, gen.ResponseOutputAudioDelta):
            raw = json.loads(frame)["delta"]
            assert isinstance(event.delta, bytes)
            assert msgspec.json.encode(event.delta).decode() == json.dumps(raw)
            break
    else:
        pytest.fail("no audio delta in the recording")


def test_legacy_beta_events_never_raise() -> None:
    kinds: Counter[str] = Counter()
    for frame in lines("openai_beta.server.jsonl"):
        event = decode(frame)
        kinds["unknown" if isinstance(event, UnknownServerEvent) else "typed"] += 1
        if isinstance(event, UnknownServerEvent):
            assert event.raw == json.loads(frame)
            assert event.error
    # Beta-only names (response.audio.delta, ...) are unknown types; beta session objects lack the GA
    # session's tag and fail validation as a known type.  Events whose name and shape the two
    # interfaces share (response.created, conversation.item.created, ...) decode typed, correctly.
    assert kinds["unknown"] == 17
    assert kinds["typed"] == 18
    unknown_types = {
        decode(f).type for f in lines("openai_beta.server.jsonl") if isinstance(decode(f), UnknownServerEvent)
    }
    assert unknown_types == {
        "session.created",
        "session.updated",
        "response.audio.delta",
        "response.audio.done",
        "response.audio_transcript.delta",
        "response.audio_transcript.done",
    }


def test_unknown_type_and_drifted_payload_are_told_apart() -> None:
    never = "test.never_defined.delta"  # in no document: holds whatever the schema defines
    assert never not in gen.SERVER_EVENT_TYPES
    unknown = decode(json.dumps({"type": never, "event_id": "e1", "delta": 3}))
    assert isinstance(unknown, UnknownServerEvent)
    assert unknown.type == never
    assert not unknown.known_type
    assert unknown.raw["delta"] == 3

    drifted = decode(b'{"type": "response.output_text.delta", "event_id": "e1", "delta": 3}')
    assert isinstance(drifted, UnknownServerEvent)
    assert drifted.known_type
    assert "delta" in drifted.error

    untyped = decode(b'{"no_type": true}')
    assert isinstance(untyped, UnknownServerEvent)
    assert untyped.type == ""


def test_unknown_fields_and_new_enum_values_and_nulls_decode() -> None:
    frame = {
        "type": "response.done",
        "event_id": "e",
        "response": {
            "id": "r",
            "object": "realtime.response",
            "status": "paused_for_reflection",  # not a documented status
            "status_details": None,
            "output": [],
            "usage": None,
            "brand_new_field": {"x": 1},
        },
    }
    event = decode(json.dumps(frame))
    assert isinstance(event, gen.ResponseDone)
    assert event.response.status == "paused_for_reflection"
    assert event.response.status_details is None


@pytest.mark.parametrize(
    "frame",
    [b"", b"not json", b"[1, 2]", b'"a string"', b"12", b"null", b"\xff\xfe", b'{"type": "error"'],
)
def test_non_objects_raise_protocol_error(frame: bytes) -> None:
    for decoder in (decode, decode_client, decode_translation, decode_translation_client, decode_webhook):
        with pytest.raises(ProtocolError):
            decoder(frame)


def test_client_events_encode_only_what_was_set() -> None:
    event = gen.SessionUpdate(session=gen.RealtimeSessionCreateRequestGA(instructions="Be brief."))
    assert json.loads(encode(event)) == {
        "type": "session.update",
        "session": {"type": "realtime", "instructions": "Be brief."},
    }
    # None is an explicit null: how turn detection is switched off
    off = gen.RealtimeSessionCreateRequestGAAudioInput(turn_detection=None)
    assert json.loads(encode(off)) == {"turn_detection": None}
    append = gen.InputAudioBufferAppend(audio=b"\x00\x01\x02")
    assert json.loads(encode(append)) == {"type": "input_audio_buffer.append", "audio": "AAEC"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
event_types = st.sampled_from([*sorted(gen.SERVER_EVENT_TYPES), "x.unknown", ""])


@st.composite
def event_like(draw: st.DrawFn) -> bytes:
    body = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=6))
    body["type"] = draw(event_types)
    return json.dumps(body).encode()


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200) | event_like())
def test_decode_returns_an_event_or_raises_protocol_error(data: bytes) -> None:
    try:
        event = decode(data)
    except ProtocolError:
        return
    assert isinstance(event, UnknownServerEvent) or type(event) in gen.SERVER_EVENT_TYPES.values()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200) | event_like())
def test_the_other_protocols_decoders_keep_the_same_contract(data: bytes) -> None:
    for decoder, unknown, table in (
        (decode_translation, UnknownTranslationServerEvent, gen.TRANSLATION_SERVER_EVENT_TYPES),
        (decode_webhook, UnknownWebhookEvent, gen.WEBHOOK_EVENT_TYPES),
    ):
        try:
            event = decoder(data)
        except ProtocolError:
            continue
        assert isinstance(event, unknown) or type(event) in table.values()


def test_deeply_nested_frame_is_a_protocol_error_or_unknown() -> None:
    deep = b'{"type": "x", "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    try:
        event = decode(deep)
    except ProtocolError:
        return
    assert isinstance(event, UnknownServerEvent)


def test_deep_nesting_inside_a_known_event_is_contained() -> None:
    deep = b'{"type": "response.done", "event_id": "e", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    try:
        event = decode(deep)
    except ProtocolError:
        return
    assert isinstance(event, UnknownServerEvent)


def test_session_with_turn_detection_off_decodes_typed() -> None:
    frame = json.loads(lines("openai_ga.server.jsonl")[0])
    frame["session"]["audio"]["input"]["turn_detection"] = None
    frame["session"]["audio"]["input"]["noise_reduction"] = None
    event = decode(json.dumps(frame))
    assert isinstance(event, gen.SessionCreated), event
    session = event.session
    assert isinstance(session, gen.RealtimeSessionCreateResponseGA)
    assert session.audio and session.audio.input and session.audio.input.turn_detection is None


def test_mcp_call_error_may_be_null() -> None:
    item = msgspec.json.decode(
        b'{"type": "mcp_call", "id": "i", "server_label": "s", "name": "n", "arguments": "{}", "error": null}',
        type=gen.RealtimeConversationItem,
    )
    assert isinstance(item, gen.RealtimeMCPToolCall) and item.error is None


def test_every_event_class_is_public_in_realtime_sdk_events() -> None:
    # Apps match on event classes; they must not have to import them from the private _generated package.
    # The list is generated, so this holds for any document after `make generate`.
    from realtime_sdk import events

    tables = [getattr(gen, name) for name in dir(gen) if name.endswith("_EVENT_TYPES")]
    assert len(tables) == sum(len(sides) for sides in gen.PROTOCOLS.values())
    for table in tables:
        for cls in table.values():
            assert getattr(events, cls.__name__, None) is cls, f"realtime_sdk.events.{cls.__name__}"
            assert cls.__name__ in events.__all__
    for sides in gen.PROTOCOLS.values():
        for union in sides.values():
            assert getattr(events, union) is getattr(gen, union)


def recorded_session_created() -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(lines("openai_ga.server.jsonl")[0])
    assert frame["type"] == "session.created"
    return frame


def test_a_session_without_its_constant_object_field_decodes() -> None:
    frame = recorded_session_created()
    del frame["session"]["object"]
    event = decode(json.dumps(frame))
    assert isinstance(event, gen.SessionCreated), event
    assert isinstance(event.session, gen.RealtimeSessionCreateResponseGA)
    assert event.session.object == "realtime.session"  # the only value it may have
    # a wrong value is still refused: only absence is tolerated
    frame["session"]["object"] = 3
    assert isinstance(decode(json.dumps(frame)), UnknownServerEvent)


def test_fields_the_service_always_sends_are_present_in_the_confirmed_session() -> None:
    frame = recorded_session_created()
    event = decode(json.dumps(frame))
    assert isinstance(event, gen.SessionCreated) and isinstance(
        event.session, gen.RealtimeSessionCreateResponseGA
    )
    confirmed = confirmed_session(event.session)
    assert isinstance(confirmed, RealtimeServerSession)
    assert confirmed.audio.output.voice == "alloy"  # no narrowing: the type says it is there
    assert msgspec.to_builtins(confirmed) == msgspec.to_builtins(event.session)
    del frame["session"]["audio"]["output"]["voice"]
    lenient = decode(json.dumps(frame))  # the wire type stays as documented: still a typed event
    assert isinstance(lenient, gen.SessionCreated) and isinstance(
        lenient.session, gen.RealtimeSessionCreateResponseGA
    )
    with pytest.raises(ProtocolError, match="voice"):
        confirmed_session(lenient.session)


def test_every_recorded_finished_response_is_confirmed() -> None:
    count = 0
    for frame in lines("openai_ga.server.jsonl"):
        event = decode(frame)
        if isinstance(event, gen.ResponseDone):
            done = confirmed_response(event.response)
            assert done.usage.total_tokens == json.loads(frame)["response"]["usage"]["total_tokens"]
            count += 1
    assert count == 28
    started = next(decode(f) for f in lines("openai_ga.server.jsonl") if b'"response.created"' in f)
    assert isinstance(started, gen.ResponseCreated)
    with pytest.raises(ProtocolError, match="usage"):
        confirmed_response(started.response)  # no usage before the response is done


def test_every_recorded_session_is_confirmed() -> None:
    # the overlay's "present" entries, checked against every recorded session.created / session.updated
    count = 0
    for frame in lines("openai_ga.server.jsonl"):
        event = decode(frame)
        if isinstance(event, gen.SessionCreated | gen.SessionUpdated):
            assert isinstance(event.session, gen.RealtimeSessionCreateResponseGA)
            confirmed_session(event.session)
            count += 1
    assert count == 43


def test_phase_on_assistant_messages_is_typed() -> None:
    phases = []
    for frame in lines("openai_ga.server.jsonl"):
        event = decode(frame)
        if isinstance(event, gen.ResponseOutputItemDone) and isinstance(
            event.item, gen.RealtimeConversationItemMessage
        ):
            if isinstance(event.item.phase, str):
                phases.append(event.item.phase)
    assert set(phases) == {"commentary", "final_answer"}


def test_translation_events_decode_typed_and_unknown_ones_do_not_raise() -> None:
    delta = decode_translation(
        b'{"type": "session.output_audio.delta", "event_id": "e", "delta": "AAEC", "elapsed_ms": 200}'
    )
    assert isinstance(delta, gen.TranslationSessionOutputAudioDelta)
    assert delta.delta == b"\x00\x01\x02" and delta.elapsed_ms == 200
    # the same wire type means another event in the realtime protocol
    assert isinstance(
        decode_translation(b'{"type": "response.done", "event_id": "e"}'), UnknownTranslationServerEvent
    )
    closing = decode_translation_client(b'{"type": "session.close"}')
    assert isinstance(closing, gen.TranslationSessionClose)
    assert json.loads(encode(gen.TranslationSessionInputAudioBufferAppend(audio=b"\x00"))) == {
        "type": "session.input_audio_buffer.append",
        "audio": "AA==",
    }
    assert isinstance(decode_translation_client(b'{"type": "session.fly"}'), UnknownTranslationClientEvent)
    with pytest.raises(ProtocolError):
        decode_translation(b"[]")


def test_webhook_events_decode_typed() -> None:
    body = {
        "id": "evt_1",
        "object": "event",
        "type": "realtime.call.incoming",
        "created_at": 1,
        "data": {"call_id": "rtc_1", "sip_headers": [{"name": "From", "value": "<sip:a@b>"}]},
    }
    event = decode_webhook(json.dumps(body))
    assert isinstance(event, gen.WebhookRealtimeCallIncoming)
    assert event.data.call_id == "rtc_1" and event.data.sip_headers[0].name == "From"
    assert json.loads(encode(event)) == body
    other = decode_webhook(json.dumps({**body, "type": "realtime.call.ended"}))
    assert isinstance(other, UnknownWebhookEvent) and not other.known_type


TYPED_USE = """
from typing import assert_type
from realtime_sdk import _generated as gen
from realtime_sdk.events import TranslationSessionOutputAudioDelta, WebhookRealtimeCallIncoming
from realtime_sdk.events import decode, decode_translation, decode_webhook
from realtime_sdk.types import RealtimeServerSession, confirmed_response, confirmed_session

def voice(session: RealtimeServerSession) -> str:
    return session.audio.output.voice

def created(data: bytes) -> str | None:
    event = decode(data)
    if isinstance(event, gen.SessionCreated) and isinstance(event.session, gen.RealtimeSessionCreateResponseGA):
        return confirmed_session(event.session).audio.output.voice
    return None

def translated(data: bytes) -> bytes | None:
    event = decode_translation(data)
    if isinstance(event, TranslationSessionOutputAudioDelta):
        assert_type(event.delta, bytes)
        return event.delta
    return None

async def live_voice() -> str:
    from realtime_sdk import RealtimeSession
    async with RealtimeSession("sk-test") as session:
        return session.confirmed.audio.output.voice

def call_id(data: bytes) -> str | None:
    event = decode_webhook(data)
    return event.data.call_id if isinstance(event, WebhookRealtimeCallIncoming) else None
"""


def test_the_confirmed_session_and_the_other_protocols_type_check_under_mypy_strict(tmp_path: Path) -> None:
    from mypy import api

    source = tmp_path / "typed_use.py"
    source.write_text(TYPED_USE)
    out, err, status = api.run(["--strict", "--cache-dir", str(tmp_path / "cache"), str(source)])
    assert status == 0, out + err


def test_the_guide_program_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    guide = (Path(__file__).parent.parent / "docs" / "events-and-regeneration.md").read_text()
    program = guide.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "guide.py").write_text(program)
    out = subprocess.run(
        [sys.executable, str(tmp_path / "guide.py")], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [
        "voice: marin",
        "translated audio bytes: 3",
        "incoming call: rtc_1",
        "unknown: UnknownServerEvent response.teleport",
    ]
