"""Conversation state: order, transcripts, usage, latency, truncation arithmetic, history.

Recorded traffic comes from tests/data/recorded/ (copied from the shared fixtures; see PROVENANCE.md
there). Everything else is built from the generated structs.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_sdk import events
from realtime_sdk._generated import (
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemInputAudioTranscriptionFailed,
    ConversationItemInputAudioTranscriptionFailedError,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    RateLimitsUpdated,
    RateLimitsUpdatedRateLimitsItem,
    RealtimeAudioFormatsAudioPcmu,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    RealtimeResponse,
    RealtimeResponseAudio,
    RealtimeResponseAudioOutput,
    RealtimeResponseUsage,
    RealtimeResponseUsageInputTokenDetails,
    RealtimeResponseUsageOutputTokenDetails,
    RealtimeSessionCreateResponseGA,
    RealtimeSessionCreateResponseGAAudio,
    RealtimeSessionCreateResponseGAAudioInput,
    RealtimeSessionCreateResponseGAAudioOutput,
    RealtimeTurnDetectionServerVad,
    ResponseCancel,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputAudioDelta,
    ResponseOutputAudioDone,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputAudioTranscriptDone,
    ResponseOutputItemAdded,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
    ServerEvent,
    SessionCreated,
    SessionUpdated,
    TranscriptTextUsageDuration,
)
from realtime_sdk.conversation import ContentPart, Conversation, Item, Usage, history_events
from realtime_sdk.events import UnknownServerEvent

RECORDED = Path(__file__).resolve().parent / "data" / "recorded" / "openai_ga.server.jsonl"

_n = 0


def eid() -> str:
    global _n
    _n += 1
    return f"event_{_n}"


def recorded_lines() -> list[bytes]:
    return RECORDED.read_bytes().splitlines()


def recorded_sessions() -> list[list[events.AnyServerEvent]]:
    sessions: list[list[events.AnyServerEvent]] = []
    for line in recorded_lines():
        event = events.decode(line)
        if event.type == "session.created" or not sessions:
            sessions.append([])
        sessions[-1].append(event)
    return sessions


# -- builders ---------------------------------------------------------------------------------------


def user_audio(item_id: str, transcript: str | None = None) -> RealtimeConversationItemMessage:
    return RealtimeConversationItemMessage(
        id=item_id,
        role="user",
        status="completed",
        content=[RealtimeConversationItemMessageContentItem(type="input_audio", transcript=transcript)],
    )


def assistant(item_id: str, status: str = "in_progress", transcript: str | None = None) -> Any:
    content = (
        []
        if transcript is None
        else [RealtimeConversationItemMessageContentItem(type="output_audio", transcript=transcript)]
    )
    return RealtimeConversationItemMessage(id=item_id, role="assistant", status=status, content=content)


def added(item: Any, previous: Any = msgspec.UNSET) -> ConversationItemAdded:
    return ConversationItemAdded(event_id=eid(), item=item, previous_item_id=previous)


def created(resp: str) -> ResponseCreated:
    return ResponseCreated(event_id=eid(), response=RealtimeResponse(id=resp, status="in_progress"))


def done(resp: str, status: str = "completed", usage: RealtimeResponseUsage | None = None) -> ResponseDone:
    return ResponseDone(event_id=eid(), response=RealtimeResponse(id=resp, status=status, usage=usage))


def audio(resp: str, item: str, nbytes: int, index: int = 0) -> ResponseOutputAudioDelta:
    return ResponseOutputAudioDelta(
        event_id=eid(),
        response_id=resp,
        item_id=item,
        output_index=0,
        content_index=index,
        delta=b"\0" * nbytes,
    )


def audio_done(resp: str, item: str) -> ResponseOutputAudioDone:
    return ResponseOutputAudioDone(
        event_id=eid(), response_id=resp, item_id=item, output_index=0, content_index=0
    )


def transcript(resp: str, item: str, text: str) -> ResponseOutputAudioTranscriptDelta:
    return ResponseOutputAudioTranscriptDelta(
        event_id=eid(), response_id=resp, item_id=item, output_index=0, content_index=0, delta=text
    )


def session_updated(
    fmt: Any = None, interrupt_response: bool | None = None, vad: bool = True
) -> SessionUpdated:
    detection = RealtimeTurnDetectionServerVad(interrupt_response=interrupt_response) if vad else None
    return SessionUpdated(
        event_id=eid(),
        session=RealtimeSessionCreateResponseGA(
            id="sess_1",
            object="realtime.session",
            audio=RealtimeSessionCreateResponseGAAudio(
                # null (VAD off) is what the wire sends; the generated type does not admit it yet
                input=RealtimeSessionCreateResponseGAAudioInput(turn_detection=detection),  # type: ignore[arg-type]
                output=RealtimeSessionCreateResponseGAAudioOutput(format=fmt),
            ),
        ),
    )


def speaking_response(
    c: Conversation,
    resp: str = "resp_1",
    item: str = "item_a",
    ms: int = 1000,
    t: float = 0.0,
    previous: str | None = None,
) -> None:
    """A response that placed one assistant audio item and sent ``ms`` of PCM audio, with a transcript."""
    c.receive(created(resp), now=t)
    c.receive(
        ResponseOutputItemAdded(event_id=eid(), response_id=resp, output_index=0, item=assistant(item)), t
    )
    c.receive(added(assistant(item), previous=previous), now=t)
    c.receive(transcript(resp, item, "one two three four five six seven eight nine ten"), now=t)
    c.receive(audio(resp, item, 48 * ms), now=t)


# -- recorded traffic -------------------------------------------------------------------------------


def test_recorded_sessions_items_in_order_with_transcripts() -> None:
    sessions = recorded_sessions()
    assert len(sessions) == 19
    # Session 2: server VAD, user transcription completes in the middle of the assistant's audio.
    c = Conversation(clock=lambda: 0.0)
    for event in sessions[1]:
        c.receive(event)
    user, reply = c.items
    assert (user.role, user.content[0].type, user.text) == (
        "user",
        "input_audio",
        "Hello, my name is Marcelo.",
    )
    assert reply.role == "assistant" and reply.status == "completed"
    assert reply.text.startswith("Hello, Marcelo!")
    assert reply.content[0].audio_bytes == sum(
        len(e.delta) for e in sessions[1] if isinstance(e, ResponseOutputAudioDelta)
    )
    assert reply.audio_ms == reply.content[0].audio_bytes / 48
    assert c.responses[reply.response_id or ""].output_item_ids == [reply.id]


def test_recorded_tool_round() -> None:
    tool_sessions = [
        s for s in recorded_sessions() if any(e.type.startswith("response.function_call") for e in s)
    ]
    session = tool_sessions[-1]
    c = Conversation(clock=lambda: 0.0)
    first_response = None
    for event in session:
        c.receive(event)
        if isinstance(event, ResponseDone) and first_response is None:
            first_response = event.response.id
            assert isinstance(first_response, str)
            [call] = c.pending_calls(first_response)
            assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "London"}
    assert isinstance(first_response, str)
    assert c.pending_calls(first_response) == []  # the output arrived
    assert [i.type for i in c.items] == ["message", "function_call", "function_call_output", "message"]


def test_usage_totals_equal_the_sum_of_recorded_response_done_usages() -> None:
    expected: dict[str, int] = {}
    count = 0
    for line in recorded_lines():
        raw = json.loads(line)
        if raw["type"] != "response.done" or not raw["response"].get("usage"):
            continue
        count += 1
        usage = raw["response"]["usage"]
        inp = usage.get("input_token_details") or {}
        out = usage.get("output_token_details") or {}
        for key, value in {
            "total_tokens": usage["total_tokens"],
            "input_tokens": usage["input_tokens"],
            "output_tokens": usage["output_tokens"],
            "input_text_tokens": inp.get("text_tokens", 0),
            "input_audio_tokens": inp.get("audio_tokens", 0),
            "input_cached_tokens": inp.get("cached_tokens", 0),
            "output_text_tokens": out.get("text_tokens", 0),
            "output_audio_tokens": out.get("audio_tokens", 0),
        }.items():
            expected[key] = expected.get(key, 0) + value
    assert count == 28
    c = Conversation(clock=lambda: 0.0)
    for line in recorded_lines():
        c.receive(events.decode(line))
    got = c.usage
    assert {k: getattr(got, k) for k in expected} == expected
    assert got.total_tokens > 0 and got.input_audio_tokens > 0 and got.output_audio_tokens > 0
    assert [r.usage is not None for r in c.responses.values()].count(True) == 28
    # A repeated response.done replaces its usage, it does not add.
    last_done = next(events.decode(x) for x in reversed(recorded_lines()) if b'"response.done"' in x)
    c.receive(last_done)
    assert c.usage == got


def test_recorded_rate_limits_keep_the_latest() -> None:
    c = Conversation(clock=lambda: 0.0)
    last = None
    for line in recorded_lines():
        event = events.decode(line)
        c.receive(event)
        if isinstance(event, RateLimitsUpdated):
            last = event
    assert last is not None
    assert list(c.rate_limits.values()) == last.rate_limits


# -- order --------------------------------------------------------------------------------------------


def test_previous_item_id_places_items_and_done_with_null_does_not_move_them() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(added(user_audio("a"), previous=None))
    c.receive(added(user_audio("c"), previous="a"))
    c.receive(added(user_audio("b"), previous="a"))  # inserted between a and c
    c.receive(added(user_audio("z"), previous="unknown"))  # unknown predecessor: at the end
    c.receive(ConversationItemDone(event_id=eid(), item=user_audio("c"), previous_item_id=None))
    assert [i.id for i in c.items] == ["a", "b", "c", "z"]
    c.receive(ConversationItemRetrieved(event_id=eid(), item=user_audio("r")))
    c.receive(ConversationItemDeleted(event_id=eid(), item_id="b"))
    assert [i.id for i in c.items] == ["a", "c", "z", "r"]
    # late events about a deleted item do not bring it back
    c.receive(added(user_audio("b"), previous="a"))
    c.receive(ConversationItemInputAudioTranscriptionDelta(event_id=eid(), item_id="b", delta="x"))
    assert c.item("b") is None and [i.id for i in c.items] == ["a", "c", "z", "r"]


def test_committed_places_the_user_item_before_it_is_added() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(added(assistant("prev", "completed"), previous=None))
    c.receive(InputAudioBufferCommitted(event_id=eid(), item_id="u1", previous_item_id="prev"))
    assert [(i.id, i.role) for i in c.items] == [("prev", "assistant"), ("u1", "user")]
    c.receive(added(user_audio("u1"), previous="prev"))
    assert [i.id for i in c.items] == ["prev", "u1"]


def test_output_items_of_out_of_band_responses_are_known_but_not_placed() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(created("r"))
    c.receive(ResponseOutputItemAdded(event_id=eid(), response_id="r", output_index=0, item=assistant("oob")))
    c.receive(
        ResponseOutputTextDelta(
            event_id=eid(), response_id="r", item_id="oob", output_index=0, content_index=0, delta="hi"
        )
    )
    assert c.items == []
    oob = c.item("oob")
    assert oob is not None and oob.text == "hi" and c.responses["r"].output_item_ids == ["oob"]


# -- user transcripts, whatever order -----------------------------------------------------------------


def completed(item: str, text: str) -> ConversationItemInputAudioTranscriptionCompleted:
    return ConversationItemInputAudioTranscriptionCompleted(
        event_id=eid(),
        item_id=item,
        content_index=0,
        transcript=text,
        usage=TranscriptTextUsageDuration(seconds=1),
    )


def delta(item: str, text: str) -> ConversationItemInputAudioTranscriptionDelta:
    return ConversationItemInputAudioTranscriptionDelta(
        event_id=eid(), item_id=item, content_index=0, delta=text
    )


def test_transcription_completed_before_the_item_exists() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(completed("u1", "Hello there."))
    c.receive(delta("u1", " Hel"))  # a straggling delta after completed is ignored
    c.receive(InputAudioBufferCommitted(event_id=eid(), item_id="u1", previous_item_id=None))
    c.receive(added(user_audio("u1"), previous=None))  # transcript null in the item: keeps ours
    [item] = c.items
    assert item.text == "Hello there."
    assert c.input_transcripts[("u1", 0)].transcript == "Hello there."


def test_transcription_after_the_reply() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(InputAudioBufferCommitted(event_id=eid(), item_id="u1", previous_item_id=None))
    c.receive(added(user_audio("u1"), previous=None))
    c.receive(delta("u1", " Hello"))
    speaking_response(c, item="a1", previous="u1")
    c.receive(done("resp_1"))
    c.receive(delta("u1", ", you"))
    assert c.items[0].text == " Hello, you"
    c.receive(completed("u1", "Hello, you."))
    assert c.items[0].text == "Hello, you."
    assert [i.id for i in c.items] == ["u1", "a1"]


def test_transcription_failed() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(
        ConversationItemInputAudioTranscriptionFailed(
            event_id=eid(),
            item_id="u1",
            content_index=0,
            error=ConversationItemInputAudioTranscriptionFailedError(message="audio unintelligible"),
        )
    )
    c.receive(added(user_audio("u1"), previous=None))
    assert c.items[0].content[0].transcription_error == "audio unintelligible"


def test_recorded_transcription_events_moved_anywhere_still_match() -> None:
    session = recorded_sessions()[1]
    transcription = [e for e in session if e.type.startswith("conversation.item.input_audio_transcription")]
    rest = [e for e in session if e not in transcription]
    for order in (transcription + rest, rest + transcription, rest[:5] + transcription[::-1] + rest[5:]):
        c = Conversation(clock=lambda: 0.0)
        for event in order:
            c.receive(event)
        assert c.items[0].text == "Hello, my name is Marcelo."


# -- audio, formats, latency --------------------------------------------------------------------------


def test_audio_ms_per_format() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=500)
    assert c.received_ms("item_a") == 500
    c.receive(session_updated(fmt=RealtimeAudioFormatsAudioPcmu()))
    assert c.bytes_per_ms == 8
    c.receive(created("r2"))
    c.receive(audio("r2", "item_g", 8 * 250))
    assert c.received_ms("item_g") == 250
    assert c.received_ms("item_a") == 500  # format fixed when the part began
    # a response with its own output format wins over the session's
    c.receive(
        ResponseCreated(
            event_id=eid(),
            response=RealtimeResponse(
                id="r3", audio=RealtimeResponseAudio(output=RealtimeResponseAudioOutput(format=None))
            ),
        )
    )
    c.receive(
        ResponseCreated(
            event_id=eid(),
            response=RealtimeResponse(
                id="r4",
                audio=RealtimeResponseAudio(
                    output=RealtimeResponseAudioOutput(format=RealtimeAudioFormatsAudioPcmu())
                ),
            ),
        )
    )
    c.receive(session_updated())  # back to the default PCM session
    c.receive(audio("r4", "item_h", 800))
    assert c.received_ms("item_h") == 100


def test_latency_from_speech_stopped_and_duration() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(InputAudioBufferSpeechStarted(event_id=eid(), audio_start_ms=0, item_id="u1"), now=9.0)
    c.receive(InputAudioBufferSpeechStopped(event_id=eid(), audio_end_ms=900, item_id="u1"), now=10.0)
    c.receive(InputAudioBufferCommitted(event_id=eid(), item_id="u1", previous_item_id=None), now=10.1)
    c.receive(created("r1"), now=10.2)
    c.receive(audio("r1", "a", 480), now=10.75)
    c.receive(audio("r1", "a", 480), now=10.9)
    c.receive(done("r1"), now=12.0)
    r = c.responses["r1"]
    assert r.latency == pytest.approx(0.75)
    assert r.duration == pytest.approx(2.0)
    # next response: a text turn the app ended itself; then one with no anchor at all
    c.mark_turn_end(now=20.0)
    c.receive(created("r2"), now=20.5)
    c.receive(
        ResponseOutputTextDelta(
            event_id=eid(), response_id="r2", item_id="t", output_index=0, content_index=0, delta="x"
        ),
        now=20.8,
    )
    assert c.responses["r2"].latency == pytest.approx(0.8)
    c.receive(created("r3"), now=30.0)
    c.receive(audio("r3", "b", 48), now=30.25)
    assert c.responses["r3"].latency == pytest.approx(0.25)
    assert c.responses["r3"].duration is None


def test_injected_clock_is_used_without_now() -> None:
    t = [5.0]
    c = Conversation(clock=lambda: t[0])
    c.receive(InputAudioBufferSpeechStopped(event_id=eid(), audio_end_ms=1, item_id="u"))
    c.receive(created("r"))
    t[0] = 5.5
    c.receive(audio("r", "a", 48))
    assert c.responses["r"].latency == pytest.approx(0.5)


# -- interruption -------------------------------------------------------------------------------------


def test_interrupt_mid_item_truncates_at_heard_and_cancels_the_app_interrupted_response() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=1000)
    c.mark_played("item_a", 400.7)
    sent = c.interrupt()
    assert sent == [
        ResponseCancel(response_id="resp_1"),
        ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=400),
    ]
    part = c.items[0].content[0]
    assert part.truncated_ms == 400
    # 40% of 49 characters = 19 -> "one two three four " -> cut at the word boundary
    assert part.transcript == "one two three four"
    # more audio and transcript keep arriving until the cancel lands: the transcript stays cut
    c.receive(transcript("resp_1", "item_a", " eleven"))
    c.receive(audio("resp_1", "item_a", 4800))
    assert part.transcript == "one two three four"
    assert c.interrupt() == []  # nothing twice
    c.receive(ConversationItemTruncated(event_id=eid(), item_id="item_a", content_index=0, audio_end_ms=400))
    assert part.truncate_confirmed and part.transcript == "one two three four"
    c.receive(done("resp_1", status="cancelled"))
    assert c.interrupt() == []


def test_interrupt_never_truncates_beyond_what_was_received() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=300)
    c.receive(audio("resp_1", "item_a", 24))  # half a millisecond more: 300.5 ms received
    sent = c.interrupt({"item_a": 5000.0})  # the player claims more than exists
    truncates = [e for e in sent if isinstance(e, ConversationItemTruncate)]
    assert truncates == [ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=300)]


def test_interrupt_at_zero_ms_deletes_the_unheard_item_instead_of_truncating() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=800)
    c.mark_played("item_a", 0.4)
    sent = c.interrupt()
    assert sent == [ResponseCancel(response_id="resp_1"), ConversationItemDelete(item_id="item_a")]
    assert not any(isinstance(e, ConversationItemTruncate) for e in sent)
    assert c.items[0].content[0].heard is False and c.items[0].content[0].transcript == ""
    c.receive(ConversationItemDeleted(event_id=eid(), item_id="item_a"))
    assert c.items == []


def test_interrupt_at_zero_ms_with_keep_sends_nothing_for_the_item() -> None:
    c = Conversation(clock=lambda: 0.0, unheard="keep")
    speaking_response(c, ms=800)
    c.mark_played("item_a", 0)
    assert c.interrupt() == [ResponseCancel(response_id="resp_1")]


def test_interrupt_before_any_audio_arrived() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(created("r"))
    c.receive(added(assistant("a"), previous=None))
    c.receive(transcript("r", "a", "Sure, here"))
    assert c.interrupt() == [ResponseCancel(response_id="r")]
    assert c.items[0].content[0].heard is False
    c.receive(audio("r", "a", 4800))  # late audio of the interrupted response: never played
    assert c.interrupt() == []


def test_interrupt_after_the_item_fully_played_sends_nothing() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=1000)
    c.receive(audio_done("resp_1", "item_a"))
    c.receive(done("resp_1"))
    c.mark_played("item_a", 1000)
    assert c.interrupt() == []
    assert c.items[0].content[0].truncated_ms is None


def test_near_the_end_of_a_complete_item_nothing_is_truncated_while_streaming_it_is_cut_exactly() -> None:
    # The server's length of an item has been seen ~85 ms shorter than the audio received: a truncate
    # within 100 ms of the end of a complete item could earn "already shorter than"; none is sent.
    for heard, expected in (
        (901.0, []),
        (899.0, [ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=899)]),
    ):
        c = Conversation(clock=lambda: 0.0)
        speaking_response(c, ms=1000)
        c.receive(audio_done("resp_1", "item_a"))
        c.receive(done("resp_1"))
        c.mark_played("item_a", heard)
        assert c.interrupt() == expected
    # Still streaming: the server has at least what it sent, so the cut is exactly at what was heard.
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=1000)
    c.mark_played("item_a", 990.0)
    assert c.interrupt()[1:] == [
        ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=990)
    ]


def test_out_of_band_audio_is_cut_locally_but_never_truncated_on_the_server() -> None:
    # conversation="none": the item is in no conversation; a truncate would earn item_truncate_invalid_item_id.
    c = Conversation(clock=lambda: 0.0)
    c.receive(created("oob"))
    c.receive(ResponseOutputItemAdded(event_id=eid(), response_id="oob", output_index=0, item=assistant("x")))
    c.receive(transcript("oob", "x", "one two three four"))
    c.receive(audio("oob", "x", 48 * 1000))
    c.mark_played("x", 500)
    assert c.interrupt() == [ResponseCancel(response_id="oob")]
    part = c.item("x").content[0]  # type: ignore[union-attr]
    assert (part.truncated_ms, part.transcript) == (500, "one two")


def test_a_new_session_forgets_playback_so_nothing_restored_as_text_is_truncated() -> None:
    def session_created(session_id: str) -> SessionCreated:
        return SessionCreated(
            event_id=eid(), session=RealtimeSessionCreateResponseGA(id=session_id, object="realtime.session")
        )

    c = Conversation(clock=lambda: 0.0)
    c.receive(session_created("sess_1"))
    speaking_response(c, ms=1000)
    c.receive(done("resp_1", status="incomplete"))  # the connection dropped mid-item
    c.mark_played("item_a", 300)
    c.receive(session_created("sess_1"))  # the same session again (a repeat): nothing changes
    assert c.heard_ms("item_a") == 300
    c.receive(session_created("sess_2"))  # reconnected: item_a is back as text, without audio
    assert c.interrupt() == []
    c.mark_played("item_a", 400)  # a stale report for the old audio changes nothing either
    assert c.interrupt() == []


def test_interrupt_after_response_done_while_still_playing_truncates_without_cancel() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=1000)
    c.receive(done("resp_1"))
    c.mark_played("item_a", 250)
    assert c.interrupt() == [ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=250)]


def test_server_vad_interruption_does_not_cancel_twice() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(session_updated())  # server VAD, interrupt_response unset: the API default is true
    assert c.vad_interrupts
    speaking_response(c, ms=1000)
    c.receive(InputAudioBufferSpeechStarted(event_id=eid(), audio_start_ms=10, item_id="u2"))
    c.mark_played("item_a", 120)
    assert c.interrupt() == [ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=120)]
    # with interrupt_response off the app must cancel
    c2 = Conversation(clock=lambda: 0.0)
    c2.receive(session_updated(interrupt_response=False))
    speaking_response(c2, ms=1000)
    c2.receive(InputAudioBufferSpeechStarted(event_id=eid(), audio_start_ms=10, item_id="u2"))
    assert c2.interrupt({"item_a": 120})[0] == ResponseCancel(response_id="resp_1")
    # forcing
    c3 = Conversation(clock=lambda: 0.0)
    speaking_response(c3, ms=1000)
    assert c3.interrupt({"item_a": 10}, cancel=False) == [
        ConversationItemTruncate(item_id="item_a", content_index=0, audio_end_ms=10)
    ]


def test_two_audio_items_in_one_response() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, item="first", ms=600)
    c.receive(audio_done("resp_1", "first"))
    c.receive(added(assistant("second"), previous="first"))
    c.receive(audio("resp_1", "second", 48 * 700))
    c.receive(transcript("resp_1", "second", "later words"))
    assert c.responses["resp_1"].output_item_ids == ["first", "second"]
    # playing the first: truncate it, delete the second (never heard)
    c.mark_played("first", 300)
    sent = c.interrupt()
    assert sent == [
        ResponseCancel(response_id="resp_1"),
        ConversationItemTruncate(item_id="first", content_index=0, audio_end_ms=300),
        ConversationItemDelete(item_id="second"),
    ]
    second = c.item("second")
    assert second is not None and second.content[0].heard is False and second.text == ""


def test_two_audio_items_second_one_playing() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, item="first", ms=600)
    c.receive(audio_done("resp_1", "first"))
    c.receive(added(assistant("second"), previous="first"))
    c.receive(audio("resp_1", "second", 48 * 700))
    c.mark_played("second", 200)  # implies the first played fully
    assert c.interrupt() == [
        ResponseCancel(response_id="resp_1"),
        ConversationItemTruncate(item_id="second", content_index=0, audio_end_ms=200),
    ]


def test_mark_played_bytes_walks_items_in_arrival_order() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, item="first", ms=100)
    c.receive(audio_done("resp_1", "first"))
    c.receive(added(assistant("second"), previous="first"))
    c.receive(audio("resp_1", "second", 48 * 100))
    c.mark_played_bytes(48 * 100 + 48 * 30 + 10)
    assert c.heard_ms("first") == 100
    assert c.heard_ms("second") == pytest.approx(30 + 10 / 48)
    sent = c.interrupt()
    assert sent[1:] == [ConversationItemTruncate(item_id="second", content_index=0, audio_end_ms=30)]


def test_without_playback_reports_the_clock_estimates_a_sequential_player() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, item="first", ms=1000, t=100.0)
    c.receive(audio_done("resp_1", "first"), now=100.0)
    c.receive(added(assistant("second"), previous="first"), now=100.1)
    c.receive(audio("resp_1", "second", 48 * 1000), now=100.1)
    # the second starts when the first ends (101.0), not when its audio arrived
    assert c.heard_ms("first", now=100.5) == pytest.approx(500)
    assert c.heard_ms("second", now=101.25) == pytest.approx(250)
    sent = c.interrupt(now=101.25)
    assert sent[1:] == [ConversationItemTruncate(item_id="second", content_index=0, audio_end_ms=250)]


def test_text_only_response_interrupt_only_cancels() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(created("r"))
    c.receive(
        ResponseOutputTextDelta(
            event_id=eid(), response_id="r", item_id="t", output_index=0, content_index=0, delta="Hello"
        )
    )
    assert c.interrupt() == [ResponseCancel(response_id="r")]
    assert c.interrupt() == []


def test_truncated_event_from_elsewhere_cuts_the_transcript() -> None:
    c = Conversation(clock=lambda: 0.0)
    speaking_response(c, ms=1000)
    c.receive(ConversationItemTruncated(event_id=eid(), item_id="item_a", content_index=0, audio_end_ms=500))
    part = c.items[0].content[0]
    assert part.truncated_ms == 500 and part.transcript == "one two three four five"


# -- text streams: many deltas into one part -----------------------------------------------------------


WORDS = "the quick brown fox jumps over a lazy dog while it rains on Paris".split()


def word_deltas(n: int) -> list[str]:
    """``n`` deltas of about four characters: words with their leading space, and some punctuation."""
    return [(" " + WORDS[i % len(WORDS)]) + ("," if i % 11 == 10 else "") for i in range(n)]


def text_delta(text: str) -> ResponseOutputTextDelta:
    return ResponseOutputTextDelta(
        event_id=eid(), response_id="r", item_id="t1", output_index=0, content_index=0, delta=text
    )


def _text_stream(c: Conversation) -> Callable[[str], None]:
    c.receive(created("r"))
    c.receive(ResponseOutputItemAdded(event_id=eid(), response_id="r", output_index=0, item=assistant("t1")))
    return lambda d: c.receive(text_delta(d))


def _transcript_stream(c: Conversation) -> Callable[[str], None]:
    c.receive(created("r"))
    c.receive(ResponseOutputItemAdded(event_id=eid(), response_id="r", output_index=0, item=assistant("t1")))
    return lambda d: c.receive(transcript("r", "t1", d))


def _input_stream(c: Conversation) -> Callable[[str], None]:
    c.receive(added(user_audio("t1"), previous=None))
    return lambda d: c.receive(delta("t1", d))


def _part_of(c: Conversation) -> ContentPart:
    item = c.item("t1")
    assert item is not None
    return item.content[0]


STREAMS: dict[
    str, tuple[Callable[[Conversation], Callable[[str], None]], Callable[[ContentPart], str | None]]
] = {
    "output_text": (_text_stream, lambda p: p.text),
    "output_audio_transcript": (_transcript_stream, lambda p: p.transcript),
    "input_transcription": (_input_stream, lambda p: p.transcript),
}


@pytest.mark.parametrize("kind", sorted(STREAMS))
def test_a_5000_delta_stream_is_exactly_the_deltas_joined(kind: str) -> None:
    start, read = STREAMS[kind]
    c = Conversation(clock=lambda: 0.0)
    send = start(c)
    pieces = word_deltas(5000)
    for piece in pieces:
        send(piece)
    expected = "".join(pieces)
    part = _part_of(c)
    assert read(part) == expected
    item = c.item("t1")
    assert item is not None and item.text == expected
    assert read(part) == expected  # reading twice gives the same text
    if kind == "input_transcription":
        assert c.input_transcripts[("t1", 0)].deltas == expected
        assert c.input_transcripts[("t1", 0)].text == expected


@pytest.mark.parametrize("kind", sorted(STREAMS))
def test_reading_mid_stream_gives_the_text_so_far(kind: str) -> None:
    start, read = STREAMS[kind]
    c = Conversation(clock=lambda: 0.0)
    send = start(c)
    pieces = word_deltas(300)
    for n, piece in enumerate(pieces, 1):
        send(piece)
        if n < 5 or n % 37 == 0:
            assert read(_part_of(c)) == "".join(pieces[:n])
            copy = dataclasses.replace(_part_of(c))
            assert copy == _part_of(c) and read(copy) == "".join(pieces[:n])
    assert read(_part_of(c)) == "".join(pieces)
    assert "".join(pieces[:3]) in repr(_part_of(c))


def test_an_empty_first_delta_makes_the_text_empty_not_none() -> None:
    c = Conversation(clock=lambda: 0.0)
    send = _text_stream(c)
    send("")
    assert _part_of(c).text == ""
    send(" Hi")
    assert _part_of(c).text == " Hi"


def test_the_done_text_replaces_the_streamed_text() -> None:
    c = Conversation(clock=lambda: 0.0)
    send = _text_stream(c)
    pieces = word_deltas(1000)
    for piece in pieces:
        send(piece)
    full = "".join(pieces)
    done_text = ResponseOutputTextDone(
        event_id=eid(), response_id="r", item_id="t1", output_index=0, content_index=0, text=full
    )
    c.receive(done_text)
    assert _part_of(c).text == full
    c.receive(msgspec.structs.replace(done_text, text="Something else."))
    assert _part_of(c).text == "Something else."
    send(" More")  # a straggler after done still appends, as before
    assert _part_of(c).text == "Something else. More"


def test_the_done_transcript_and_the_completed_transcription_replace_the_streamed_ones() -> None:
    c = Conversation(clock=lambda: 0.0)
    send = _transcript_stream(c)
    for piece in word_deltas(800):
        send(piece)
    c.receive(
        ResponseOutputAudioTranscriptDone(
            event_id=eid(), response_id="r", item_id="t1", output_index=0, content_index=0, transcript="Hi."
        )
    )
    assert _part_of(c).transcript == "Hi."

    u = Conversation(clock=lambda: 0.0)
    send = _input_stream(u)
    for piece in word_deltas(800):
        send(piece)
    u.receive(completed("t1", "Hello there."))
    assert _part_of(u).transcript == "Hello there."
    send(" late")  # a delta after completed is ignored
    assert _part_of(u).transcript == "Hello there."
    assert u.input_transcripts[("t1", 0)].text == "Hello there."


def test_input_transcription_deltas_before_and_after_the_item_meet_in_the_part() -> None:
    c = Conversation(clock=lambda: 0.0)
    pieces = word_deltas(500)
    for piece in pieces[:200]:
        c.receive(delta("t1", piece))
    c.receive(added(user_audio("t1"), previous=None))
    assert _part_of(c).transcript == "".join(pieces[:200])
    for piece in pieces[200:]:
        c.receive(delta("t1", piece))
    assert _part_of(c).transcript == "".join(pieces)
    assert c.items[0].text == "".join(pieces)


def test_an_item_snapshot_transcript_gives_way_to_the_input_transcription_again() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(added(user_audio("t1"), previous=None))
    c.receive(delta("t1", " Hello"))
    c.receive(ConversationItemDone(event_id=eid(), item=user_audio("t1", transcript="snapshot")))
    assert _part_of(c).transcript == " Hello"  # the transcription wins over the snapshot
    c.receive(delta("t1", " there"))
    assert _part_of(c).transcript == " Hello there"


def test_a_truncated_user_part_stops_following_its_input_transcription() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(added(user_audio("t1"), previous=None))
    c.receive(delta("t1", " Hello"))
    c.receive(ConversationItemTruncated(event_id=eid(), item_id="t1", content_index=0, audio_end_ms=0))
    c.receive(delta("t1", " there"))
    assert _part_of(c).transcript == " Hello"
    assert c.input_transcripts[("t1", 0)].text == " Hello there"


def test_an_assistant_transcript_delta_on_a_user_part_does_not_change_the_input_transcription() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(added(user_audio("t1"), previous=None))
    c.receive(delta("t1", " Hello"))
    c.receive(transcript("r", "t1", " garbage"))  # nonsense from the wire: the part grows on its own
    assert _part_of(c).transcript == " Hello garbage"
    assert c.input_transcripts[("t1", 0)].text == " Hello"
    c.receive(delta("t1", " there"))  # the transcription takes the part back
    assert _part_of(c).transcript == " Hello there"


def test_interrupting_a_transcript_streamed_word_by_word_cuts_it_by_proportion() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(created("resp_1"))
    c.receive(
        ResponseOutputItemAdded(
            event_id=eid(), response_id="resp_1", output_index=0, item=assistant("item_a")
        )
    )
    c.receive(added(assistant("item_a")))
    words = "one two three four five six seven eight nine ten".split(" ")
    for n, word in enumerate(words):
        c.receive(transcript("resp_1", "item_a", word if n == 0 else " " + word))
    c.receive(audio("resp_1", "item_a", 48 * 1000))
    c.mark_played("item_a", 400.0)
    c.interrupt()
    part = c.items[0].content[0]
    # 40% of 49 characters = 19 -> "one two three four " -> cut at the word boundary
    assert part.transcript == "one two three four"
    c.receive(transcript("resp_1", "item_a", " eleven"))
    assert part.transcript == "one two three four"


# -- function calls -----------------------------------------------------------------------------------


def test_pending_calls_track_arguments_and_outputs() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(created("r"))
    for n in range(3):
        call = RealtimeConversationItemFunctionCall(
            id=f"fc{n}", name="f", arguments="", call_id=f"call{n}", status="in_progress"
        )
        c.receive(ResponseOutputItemAdded(event_id=eid(), response_id="r", output_index=n, item=call))
        c.receive(
            ResponseFunctionCallArgumentsDelta(
                event_id=eid(),
                response_id="r",
                item_id=f"fc{n}",
                output_index=n,
                call_id=f"call{n}",
                delta='{"n":',
            )
        )
    assert c.pending_calls("r") == []  # arguments not complete yet
    c.receive(
        ResponseFunctionCallArgumentsDelta(
            event_id=eid(), response_id="r", item_id="fc0", output_index=0, call_id="call0", delta=" 0}"
        )
    )
    assert c.function_calls("r")[0].arguments == '{"n": 0}'
    for n in range(3):
        c.receive(
            ResponseFunctionCallArgumentsDone(
                event_id=eid(),
                response_id="r",
                item_id=f"fc{n}",
                output_index=n,
                call_id=f"call{n}",
                name="f",
                arguments=f'{{"n": {n}}}',
            )
        )
    assert [i.call_id for i in c.pending_calls("r")] == ["call0", "call1", "call2"]
    c.receive(added(RealtimeConversationItemFunctionCallOutput(id="o1", call_id="call1", output="ok")))
    assert [i.call_id for i in c.pending_calls("r")] == ["call0", "call2"]
    assert c.pending_calls("nope") == []


# -- history and restore ------------------------------------------------------------------------------


def wire(event: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(events.encode(event))
    return decoded


def test_history_events_in_order_with_wire_content_types() -> None:
    items: list[Any] = [
        {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
        RealtimeConversationItemFunctionCall(name="get_weather", arguments='{"city":"Paris"}', call_id="c1"),
        RealtimeConversationItemFunctionCallOutput(call_id="c1", output="sunny"),
        assistant("a1", "completed", transcript="It is sunny in Paris."),
        user_audio("u2", transcript="Thanks!"),
        user_audio("u3", transcript=None),  # nothing to say: dropped
    ]
    sent = history_events(items)
    assert all(isinstance(e, ConversationItemCreate) for e in sent)
    assert [wire(e)["item"] for e in sent] == [
        {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
        {"type": "function_call", "name": "get_weather", "arguments": '{"city":"Paris"}', "call_id": "c1"},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "It is sunny in Paris."}],
        },
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks!"}]},
    ]
    assert "id" not in wire(sent[0])["item"]
    with pytest.raises(ValueError, match="not a conversation item"):
        history_events([{"type": "nonsense"}])


def test_restore_events_rebuild_the_heard_conversation_with_ids() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(InputAudioBufferCommitted(event_id=eid(), item_id="u1", previous_item_id=None))
    c.receive(completed("u1", "Tell me a story."))
    speaking_response(c, item="a1", ms=1000, previous="u1")
    c.mark_played("a1", 300)
    c.interrupt()
    c.receive(done("resp_1", status="cancelled"))
    call = RealtimeConversationItemFunctionCall(
        id="f1", name="f", arguments="{}", call_id="c1", status="completed"
    )
    c.receive(added(call, previous="a1"))
    c.receive(
        added(RealtimeConversationItemFunctionCallOutput(id="o1", call_id="c1", output="1"), previous="f1")
    )
    half = RealtimeConversationItemFunctionCall(
        id="f2", name="f", arguments="", call_id="c2", status="in_progress"
    )
    c.receive(added(half, previous="o1"))
    assert [i.id for i in c.items] == ["u1", "a1", "f1", "o1", "f2"]
    restored = [wire(e)["item"] for e in c.restore_events()]
    assert restored == [
        {
            "type": "message",
            "id": "u1",
            "role": "user",
            "content": [{"type": "input_text", "text": "Tell me a story."}],
        },
        {
            "type": "message",
            "id": "a1",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "one two three"}],
        },
        {"type": "function_call", "id": "f1", "name": "f", "arguments": "{}", "call_id": "c1"},
        {"type": "function_call_output", "id": "o1", "call_id": "c1", "output": "1"},
    ]
    assert history_events(c.items) == c.restore_events(keep_ids=False)


def test_local_items_are_history_items() -> None:
    item = Item(id="x", type="message", role="assistant")
    assert history_events([item]) == []  # no content, nothing to send


# -- never raises -------------------------------------------------------------------------------------


def _pool() -> list[events.AnyServerEvent]:
    pool: list[events.AnyServerEvent] = [events.decode(x) for x in recorded_lines()[:420]]
    pool += [
        UnknownServerEvent(
            type="response.future_thing", raw={"type": "response.future_thing"}, error="unknown"
        ),
        UnknownServerEvent(type="", raw={}, error="unknown event type: none"),
        audio("r", "x", 7, index=10**9),
        audio("r", "x", 0, index=-1),
        transcript("r", "gone", "words"),
        ConversationItemDeleted(event_id="e", item_id="item_E6U0xWSFIFri2uw2kTLLq"),
        ConversationItemTruncated(
            event_id="e", item_id="item_E6U0xWSFIFri2uw2kTLLq", content_index=0, audio_end_ms=-5
        ),
        ConversationItemTruncated(event_id="e", item_id="nope", content_index=99, audio_end_ms=10**12),
        ConversationItemAdded(event_id="e", item=assistant("loop"), previous_item_id="loop"),
        InputAudioBufferCommitted(event_id="e", item_id="", previous_item_id="x"),
        ResponseDone(event_id="e", response=RealtimeResponse()),
        ResponseDone(
            event_id="e",
            response=RealtimeResponse(
                id="r",
                usage=RealtimeResponseUsage(
                    input_tokens=None,
                    input_token_details=RealtimeResponseUsageInputTokenDetails(cached_tokens=None),
                    output_token_details=RealtimeResponseUsageOutputTokenDetails(audio_tokens=3),
                ),
            ),
        ),
        ResponseOutputAudioTranscriptDone(
            event_id="e", response_id="r", item_id="x", output_index=0, content_index=3, transcript="t"
        ),
        ConversationItemInputAudioTranscriptionDelta(
            event_id="e", item_id="x", content_index=None, delta=None
        ),
        ConversationItemInputAudioTranscriptionDelta(event_id="e", item_id="x", content_index=500, delta="a"),
        RateLimitsUpdated(event_id="e", rate_limits=[RateLimitsUpdatedRateLimitsItem()]),
        session_updated(vad=False),
        session_updated(fmt=RealtimeAudioFormatsAudioPcmu()),
    ]
    return pool


_POOL = _pool()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(min_value=0, max_value=len(_POOL) - 1), max_size=120),
    played=st.lists(st.tuples(st.integers(0, len(_POOL) - 1), st.floats(allow_nan=True)), max_size=5),
    nbytes=st.integers(-100, 10**6),
)
def test_any_sequence_of_server_events_never_raises(
    picks: list[int], played: list[tuple[int, float]], nbytes: int
) -> None:
    c = Conversation(clock=lambda: 0.0)
    sequence: list[ServerEvent | UnknownServerEvent] = [_POOL[i] for i in picks]
    for n, event in enumerate(sequence):
        c.receive(event, now=float(n))
    for index, ms in played:
        item_id = getattr(_POOL[index], "item_id", "x")
        c.mark_played(item_id, ms)
    c.mark_played_bytes(nbytes)
    sent = c.interrupt(now=float(len(sequence)))
    for out in sent:
        if isinstance(out, ConversationItemTruncate):
            part = c.item(out.item_id).content[out.content_index]  # type: ignore[union-attr]
            assert 1 <= out.audio_end_ms <= math.floor(part.audio_ms)
        events.encode(out)
    for out in c.restore_events():
        events.encode(out)
    # usage is one usage per response id, whatever repeats
    per_id: dict[str, Usage] = {}
    for event in sequence:
        if isinstance(event, ResponseDone) and isinstance(event.response.id, str):
            if isinstance(event.response.usage, RealtimeResponseUsage):
                per_id[event.response.id] = Usage.from_wire(event.response.usage)
    total = Usage()
    for usage in per_id.values():
        total = total + usage
    assert c.usage == total


def test_a_huge_reported_position_then_a_byte_count_does_not_overflow() -> None:
    # found by the fuzz above: mark_played(…, 1e308) then mark_played_bytes multiplied it to infinity
    c = Conversation(clock=lambda: 0.0)
    for event in _POOL:
        if isinstance(event, ResponseOutputAudioDelta):
            c.receive(event, now=0.0)
            c.mark_played(event.item_id, 1e308)
            c.mark_played_bytes(10)
            part = c.item(event.item_id).content[event.content_index]  # type: ignore[union-attr]
            assert part.played_ms is not None and math.isfinite(part.played_ms)
            break
    else:
        raise AssertionError("the pool has no audio delta")
