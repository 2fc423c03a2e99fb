"""Interruption and truncation decisions without a loop or a socket: events and times in, a ``Cut`` out.

PCM at 24 kHz is 48 bytes per millisecond, so ``ms`` of audio is ``48 * ms`` bytes.  The conversation is
built with a clock that fails the test when read: every time comes in as ``now``.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import msgspec
import pytest

from realtime_sdk.conversation import Conversation
from realtime_sdk.events import AnyServerEvent, decode
from realtime_sdk.protocol import Cut, Interruption


def _no_clock() -> float:
    raise AssertionError("the clock was read: time must come in as `now`")


def ev(body: dict[str, Any]) -> AnyServerEvent:
    return decode(msgspec.json.encode({"event_id": "evt", **body}))


class World:
    """A conversation and its interruption core, fed the same events in the session's order."""

    def __init__(self, unheard: Literal["delete", "keep"] = "delete") -> None:
        self.conversation = Conversation(clock=_no_clock, unheard=unheard)
        self.core = Interruption(self.conversation)

    def feed(self, body: dict[str, Any], now: float = 0.0) -> bool:
        event = ev(body)
        self.conversation.receive(event, now)
        return self.core.receive(event, now)

    # -- what the server sends ---------------------------------------------------------------------

    def created(self, rid: str, now: float = 0.0) -> None:
        self.feed({"type": "response.created", "response": {"id": rid, "status": "in_progress"}}, now)

    def item(self, rid: str, item_id: str, *, placed: bool = True, now: float = 0.0) -> None:
        item = {"id": item_id, "type": "message", "role": "assistant", "status": "in_progress", "content": []}
        body = {"type": "response.output_item.added", "response_id": rid, "output_index": 0, "item": item}
        self.feed(body, now)
        if placed:
            self.feed({"type": "conversation.item.added", "previous_item_id": None, "item": item}, now)

    def audio(self, rid: str, item_id: str, ms: int, index: int = 0, now: float = 0.0) -> None:
        self.feed(
            {
                "type": "response.output_audio.delta",
                "response_id": rid,
                "item_id": item_id,
                "output_index": 0,
                "content_index": index,
                "delta": base64.b64encode(bytes(48 * ms)).decode(),
            },
            now,
        )

    def audio_done(self, rid: str, item_id: str, index: int = 0) -> None:
        self.feed(
            {
                "type": "response.output_audio.done",
                "response_id": rid,
                "item_id": item_id,
                "output_index": 0,
                "content_index": index,
            }
        )

    def transcript(self, rid: str, item_id: str, text: str) -> None:
        self.feed(
            {
                "type": "response.output_audio_transcript.delta",
                "response_id": rid,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "delta": text,
            }
        )

    def done(self, rid: str, status: str = "completed") -> None:
        self.feed({"type": "response.done", "response": {"id": rid, "status": status}})

    def vad(self, detection: dict[str, Any] | None) -> None:
        session = {
            "type": "realtime",
            "object": "realtime.session",
            "id": "sess_1",
            "audio": {"input": {"turn_detection": detection}},
        }
        self.feed({"type": "session.updated", "session": session})

    def speech_started(self, now: float = 0.0) -> bool:
        return self.feed(
            {"type": "input_audio_buffer.speech_started", "audio_start_ms": 0, "item_id": "u"}, now
        )

    def speaking(
        self, rid: str = "resp_1", item_id: str = "item_a", ms: int = 1000, now: float = 0.0
    ) -> None:
        """A response that placed one assistant item and sent ``ms`` of its audio."""
        self.created(rid, now)
        self.item(rid, item_id, now=now)
        self.audio(rid, item_id, ms, now=now)

    # -- a sideband's call -------------------------------------------------------------------------

    def buffer(self, kind: str, rid: str, now: float) -> None:
        self.feed({"type": f"output_audio_buffer.{kind}", "response_id": rid}, now)

    def call_part(self, rid: str, item_id: str) -> None:
        """What a sideband sees of an audio message: the item and its part, no deltas."""
        self.item(rid, item_id)
        self.feed(
            {
                "type": "response.content_part.added",
                "response_id": rid,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "part": {"type": "audio", "transcript": ""},
            }
        )


def wire(cut: Cut | None) -> list[dict[str, Any]]:
    """The cut's events as the JSON sent, without their event ids."""
    assert cut is not None
    out = []
    for event in cut.events:
        body = msgspec.json.decode(msgspec.json.encode(event))
        body.pop("event_id", None)
        out.append(body)
    return out


def cancel(rid: str) -> dict[str, Any]:
    return {"type": "response.cancel", "response_id": rid}


def truncate(item_id: str, ms: int, index: int = 0) -> dict[str, Any]:
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": index,
        "audio_end_ms": ms,
    }


def delete(item_id: str) -> dict[str, Any]:
    return {"type": "conversation.item.delete", "item_id": item_id}


CLEAR = {"type": "output_audio_buffer.clear"}


# -- through the websocket: what was heard ---------------------------------------------------------


def test_the_part_playing_is_truncated_at_the_ms_heard_rounded_down_after_the_cancel() -> None:
    w = World()
    w.speaking(ms=1000)
    w.core.played("item_a", 400.7)
    cut = w.core.interrupt(now=5.0)
    assert wire(cut) == [cancel("resp_1"), truncate("item_a", 400)]
    assert cut is not None and cut == Cut(cut.events, "resp_1", "item_a", 0, 400, on_call=False)


def test_positions_given_to_interrupt_count_like_the_players() -> None:
    w = World()
    w.speaking(ms=1000)
    cut = w.core.interrupt(5.0, {"item_a": 321.9})
    assert wire(cut) == [cancel("resp_1"), truncate("item_a", 321)]


def test_the_truncate_never_goes_past_what_was_received() -> None:
    w = World()
    w.speaking(ms=300)  # still streaming: 300 ms so far
    w.core.played("item_a", 900.0)
    assert wire(w.core.interrupt(now=1.0)) == [cancel("resp_1"), truncate("item_a", 300)]


def test_without_reports_the_heard_time_runs_from_the_first_audio_at_the_now_given() -> None:
    w = World()
    w.speaking(ms=1000, now=10.0)
    cut = w.core.interrupt(now=10.25)
    assert wire(cut) == [cancel("resp_1"), truncate("item_a", 250)]


def test_under_one_ms_heard_nothing_is_truncated_and_the_unheard_item_is_deleted() -> None:
    w = World()
    w.speaking(ms=1000)
    w.core.played("item_a", 0.6)
    cut = w.core.interrupt(now=1.0)
    assert wire(cut) == [cancel("resp_1"), delete("item_a")]
    assert cut is not None and (cut.item_id, cut.content_index, cut.audio_end_ms) == ("item_a", 0, 0)


def test_under_one_ms_heard_with_unheard_keep_only_the_cancel_is_sent() -> None:
    w = World(unheard="keep")
    w.speaking(ms=1000)
    w.core.played("item_a", 0.0)
    cut = w.core.interrupt(now=1.0)
    assert wire(cut) == [cancel("resp_1")]
    assert cut is not None and (cut.response_id, cut.item_id, cut.audio_end_ms) == ("resp_1", None, None)


def test_one_ms_heard_is_enough_for_a_truncate() -> None:
    w = World()
    w.speaking(ms=1000)
    w.core.played("item_a", 1.0)
    assert wire(w.core.interrupt(now=1.0)) == [cancel("resp_1"), truncate("item_a", 1)]


def test_a_part_played_to_the_end_gets_nothing_and_with_the_response_done_there_is_no_cut() -> None:
    w = World()
    w.speaking(ms=1000)
    w.audio_done("resp_1", "item_a")
    w.done("resp_1")
    w.core.played("item_a", 1000.0)
    assert w.core.interrupt(now=2.0) is None


def test_a_complete_part_heard_to_within_100_ms_of_its_end_is_not_truncated() -> None:
    w = World()
    w.speaking(ms=1000)
    w.audio_done("resp_1", "item_a")  # complete, but the response still runs
    w.core.played("item_a", 950.0)  # 950 >= 1000 - 100
    cut = w.core.interrupt(now=2.0)
    assert wire(cut) == [cancel("resp_1")]
    assert cut is not None and cut.item_id is None


def test_a_complete_part_heard_to_just_before_the_margin_is_truncated() -> None:
    w = World()
    w.speaking(ms=1000)
    w.audio_done("resp_1", "item_a")
    w.core.played("item_a", 899.0)  # 899 < 1000 - 100
    assert wire(w.core.interrupt(now=2.0)) == [cancel("resp_1"), truncate("item_a", 899)]


def test_a_part_still_streaming_is_cut_exactly_even_near_its_end() -> None:
    w = World()
    w.speaking(ms=1000)
    w.core.played("item_a", 999.0)
    assert wire(w.core.interrupt(now=2.0)) == [cancel("resp_1"), truncate("item_a", 999)]


def test_after_response_done_a_part_still_playing_is_truncated_without_a_cancel() -> None:
    w = World()
    w.speaking(ms=1000)
    w.done("resp_1")
    w.core.played("item_a", 600.0)
    cut = w.core.interrupt(now=2.0)
    assert wire(cut) == [truncate("item_a", 600)]
    assert cut is not None and cut.response_id == "resp_1"


def test_the_local_transcript_is_cut_to_the_proportion_heard_back_to_a_word() -> None:
    w = World()
    w.speaking(ms=1000)
    w.transcript("resp_1", "item_a", "one two three four five six seven eight nine ten")
    w.core.played("item_a", 500.0)
    w.core.interrupt(now=1.0)
    # 48 characters, half of them is 24: "one two three four five " then back to the last space
    assert w.conversation.item("item_a").content[0].transcript == "one two three four five"  # type: ignore[union-attr]


# -- several parts ---------------------------------------------------------------------------------


def test_with_two_content_parts_the_first_played_whole_the_second_is_truncated() -> None:
    w = World()
    w.speaking(ms=500)
    w.audio_done("resp_1", "item_a", index=0)
    w.audio("resp_1", "item_a", 500, index=1)
    w.core.played("item_a", 200.0, content_index=1)  # the player is in the second part: the first played
    cut = w.core.interrupt(now=1.0)
    assert wire(cut) == [cancel("resp_1"), truncate("item_a", 200, index=1)]
    assert cut is not None and (cut.item_id, cut.content_index, cut.audio_end_ms) == ("item_a", 1, 200)


def test_with_two_items_the_one_after_the_playing_one_was_never_heard_and_is_deleted() -> None:
    w = World()
    w.speaking(ms=600)
    w.item("resp_1", "item_b")
    w.audio("resp_1", "item_b", 400)
    w.core.played("item_a", 300.0)
    cut = w.core.interrupt(now=1.0)
    assert wire(cut) == [cancel("resp_1"), truncate("item_a", 300), delete("item_b")]
    assert cut is not None and cut.item_id == "item_a"


def test_with_two_items_a_report_in_the_second_counts_the_first_as_played() -> None:
    w = World()
    w.speaking(ms=600)
    w.audio_done("resp_1", "item_a")
    w.item("resp_1", "item_b")
    w.audio("resp_1", "item_b", 400)
    w.core.played("item_b", 150.0)
    assert wire(w.core.interrupt(now=1.0)) == [cancel("resp_1"), truncate("item_b", 150)]


# -- cancel or not: server VAD ---------------------------------------------------------------------


def test_speech_started_interrupts_under_server_vad_and_the_server_cancels_by_itself() -> None:
    w = World()
    w.vad({"type": "server_vad"})  # interrupt_response unset: the API default is on
    w.speaking(ms=1000)
    w.core.played("item_a", 420.0)
    assert w.speech_started(now=1.0) is True
    cut = w.core.interrupt(now=1.0, by_server=True)
    assert wire(cut) == [truncate("item_a", 420)]


def test_semantic_vad_interrupts_too() -> None:
    w = World()
    w.vad({"type": "semantic_vad"})
    w.speaking()
    assert w.speech_started() is True


def test_with_interrupt_response_off_speech_does_not_interrupt_and_the_app_must_cancel() -> None:
    w = World()
    w.vad({"type": "server_vad", "interrupt_response": False})
    w.speaking(ms=1000)
    assert w.speech_started() is False
    w.core.played("item_a", 100.0)
    assert wire(w.core.interrupt(now=1.0)) == [cancel("resp_1"), truncate("item_a", 100)]


def test_without_turn_detection_speech_does_not_interrupt() -> None:
    w = World()
    w.vad(None)
    w.speaking()
    assert w.speech_started() is False


def test_the_app_interrupting_after_vad_speech_does_not_cancel_what_the_server_cancels() -> None:
    w = World()
    w.vad({"type": "server_vad", "interrupt_response": True})
    w.speaking(ms=1000)
    w.speech_started()
    w.core.played("item_a", 250.0)
    assert wire(w.core.interrupt(now=1.0)) == [truncate("item_a", 250)]


def test_cancel_can_be_forced_either_way() -> None:
    w = World()
    w.vad({"type": "server_vad"})
    w.speaking(ms=1000)
    w.speech_started()
    w.core.played("item_a", 250.0)
    assert wire(w.core.interrupt(now=1.0, cancel=True)) == [cancel("resp_1"), truncate("item_a", 250)]

    w2 = World()
    w2.speaking(ms=1000)
    w2.core.played("item_a", 250.0)
    assert wire(w2.core.interrupt(now=1.0, cancel=False)) == [truncate("item_a", 250)]


def test_vad_speech_with_nothing_playing_sends_nothing() -> None:
    w = World()
    w.vad({"type": "server_vad"})
    assert w.speech_started() is True  # it interrupts whatever plays, and nothing does
    assert w.core.interrupt(now=0.0, by_server=True) is None


# -- nothing to cut, and cutting twice -------------------------------------------------------------


def test_interrupt_with_nothing_playing_and_no_response_sends_nothing() -> None:
    assert World().core.interrupt(now=0.0) is None


def test_a_response_interrupted_before_its_audio_gets_the_cancel_and_names_no_part() -> None:
    w = World()
    w.created("resp_1")
    cut = w.core.interrupt(now=0.0)
    assert wire(cut) == [cancel("resp_1")]
    assert cut is not None and cut == Cut(cut.events, "resp_1")


def test_interrupting_twice_sends_nothing_new() -> None:
    w = World()
    w.speaking(ms=1000)
    w.core.played("item_a", 400.0)
    assert wire(w.core.interrupt(now=1.0)) == [cancel("resp_1"), truncate("item_a", 400)]
    w.core.played("item_a", 700.0)  # the player went on before it was flushed: no second truncate
    again = w.core.interrupt(now=1.5)
    assert again is not None and again.events == () and again.response_id == "resp_1"
    w.done("resp_1", status="cancelled")
    assert w.core.interrupt(now=2.0) is None


# -- which audio is dropped ------------------------------------------------------------------------


def test_the_interrupted_responses_later_audio_is_dropped_until_its_response_done() -> None:
    w = World()
    w.speaking(ms=1000)
    assert w.core.drops_audio_of("resp_1") is False
    w.core.played("item_a", 100.0)
    w.core.interrupt(now=1.0)
    assert w.core.drops_audio_of("resp_1") is True
    w.done("resp_1", status="cancelled")
    assert w.core.drops_audio_of("resp_1") is False


def test_a_new_responses_audio_is_kept_after_an_interruption() -> None:
    w = World()
    w.speaking("resp_1", "item_a", ms=1000)
    w.core.played("item_a", 100.0)
    w.core.interrupt(now=1.0)
    w.speaking("resp_2", "item_b", ms=200, now=2.0)
    assert w.core.drops_audio_of("resp_1") is True
    assert w.core.drops_audio_of("resp_2") is False


def test_a_cut_without_a_response_running_drops_nothing() -> None:
    w = World()
    w.speaking(ms=1000)
    w.done("resp_1")
    w.core.played("item_a", 300.0)
    assert wire(w.core.interrupt(now=1.0)) == [truncate("item_a", 300)]
    assert w.core.drops_audio_of("resp_1") is False  # done: no more of its audio comes


# -- out of band -----------------------------------------------------------------------------------


def test_out_of_band_audio_is_cancelled_and_dropped_but_never_truncated_on_the_server() -> None:
    w = World()
    w.created("resp_oob")
    w.item("resp_oob", "item_x", placed=False)  # in no conversation
    w.audio("resp_oob", "item_x", 800)
    w.core.played("item_x", 250.0)
    cut = w.core.interrupt(now=1.0)
    assert wire(cut) == [cancel("resp_oob")]
    assert cut is not None and (cut.response_id, cut.item_id) == ("resp_oob", None)
    assert w.core.drops_audio_of("resp_oob") is True


def test_unheard_out_of_band_audio_is_not_deleted_either() -> None:
    w = World()
    w.created("resp_oob")
    w.item("resp_oob", "item_x", placed=False)
    w.audio("resp_oob", "item_x", 800)
    w.core.played("item_x", 0.0)
    assert wire(w.core.interrupt(now=1.0)) == [cancel("resp_oob")]


# -- a sideband: the call's playback clock ---------------------------------------------------------


def test_on_a_call_the_cut_clears_the_call_and_truncates_at_its_clock() -> None:
    w = World()
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.buffer("started", "resp_1", now=100.0)
    assert w.core.on_call
    cut = w.core.interrupt(now=101.5)
    assert wire(cut) == [cancel("resp_1"), CLEAR, truncate("item_0", 1500)]
    assert cut is not None and cut == Cut(cut.events, "resp_1", "item_0", 0, 1500, on_call=True)
    assert not w.core.on_call  # the call's audio was cut
    assert w.core.drops_audio_of("resp_1")


def test_on_a_call_a_repeated_started_keeps_the_first_start() -> None:
    w = World()
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.buffer("started", "resp_1", now=100.0)
    w.buffer("started", "resp_1", now=100.4)
    assert w.core.call.heard_ms("resp_1", now=101.0) == pytest.approx(1000.0)
    assert wire(w.core.interrupt(now=101.0)) == [cancel("resp_1"), CLEAR, truncate("item_0", 1000)]


def test_on_a_call_stopped_or_cleared_ends_the_clock() -> None:
    w = World()
    w.buffer("started", "resp_1", now=100.0)
    w.buffer("stopped", "resp_1", now=102.0)
    assert not w.core.on_call and w.core.call.heard_ms("resp_1", now=103.0) is None
    w.buffer("started", "resp_2", now=104.0)
    w.buffer("cleared", "resp_2", now=104.5)
    assert w.core.call.playing is None


def test_on_a_call_the_latest_started_response_is_the_one_playing() -> None:
    w = World()
    w.buffer("started", "resp_1", now=100.0)
    w.buffer("started", "resp_2", now=101.0)
    assert w.core.call.playing == "resp_2"


def test_on_a_call_played_through_a_done_response_needs_no_cancel() -> None:
    w = World()
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.done("resp_1")  # generated to the end; the caller is still hearing it
    w.buffer("started", "resp_1", now=50.0)
    assert wire(w.core.interrupt(now=50.25)) == [CLEAR, truncate("item_0", 250)]


def test_on_a_call_two_audio_items_cannot_share_the_heard_time_so_none_is_truncated() -> None:
    w = World()
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.call_part("resp_1", "item_1")
    w.buffer("started", "resp_1", now=10.0)
    cut = w.core.interrupt(now=13.0)
    assert wire(cut) == [cancel("resp_1"), CLEAR]
    assert cut is not None and cut.item_id is None and cut.on_call


def test_on_a_call_under_one_ms_heard_there_is_no_truncate() -> None:
    w = World()
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.buffer("started", "resp_1", now=10.0)
    assert wire(w.core.interrupt(now=10.0005)) == [cancel("resp_1"), CLEAR]


def test_on_a_call_server_vad_sends_nothing_but_the_cut_is_kept() -> None:
    w = World()
    w.vad({"type": "server_vad"})
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.buffer("started", "resp_1", now=10.0)
    assert w.speech_started(now=10.5) is True
    cut = w.core.interrupt(now=10.5, by_server=True)
    assert cut == Cut((), "resp_1", "item_0", 0, 500, on_call=True)
    assert w.conversation.item("item_0").content[0].truncated_ms == 500  # type: ignore[union-attr]
    assert w.core.drops_audio_of("resp_1")


def test_on_a_call_the_players_reports_do_not_count() -> None:
    w = World()
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.buffer("started", "resp_1", now=0.0)
    cut = w.core.interrupt(now=0.75, played_ms={"item_0": 100.0})
    assert wire(cut) == [cancel("resp_1"), CLEAR, truncate("item_0", 750)]


def test_after_the_call_stopped_playing_the_websocket_rules_apply_again() -> None:
    w = World()
    w.created("resp_1")
    w.call_part("resp_1", "item_0")
    w.buffer("started", "resp_1", now=0.0)
    w.done("resp_1")
    w.buffer("stopped", "resp_1", now=2.0)  # heard whole
    assert w.core.interrupt(now=3.0) is None
