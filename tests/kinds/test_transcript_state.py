"""The pure parts of a transcription session: the transcript book and the tape of audio kept for a reconnect."""

from __future__ import annotations

from realtime_sdk import events
from realtime_sdk._generated import TranscriptTextUsageDuration
from realtime_sdk.session._transcript_state import TranscriptBook
from realtime_sdk.session._transcript_tape import AudioTape

PCM = 48.0  # bytes per ms of 24 kHz PCM16


def test_client_commits_take_everything_since_the_previous_one_and_vad_items_their_speech() -> None:
    tape = AudioTape()
    tape.appended(bytes(range(200)) * 48, PCM)  # 200 ms
    tape.commit_sent()
    tape.appended(b"\x01" * 4800, PCM)  # 100 ms more, after the commit was sent
    tape.committed("a")  # its acknowledgement comes later: it still ends where the commit was sent
    tape.speech("b", start_ms=250)
    tape.speech("b", end_ms=300)
    tape.committed("b")
    lost = tape.lost()
    assert lost == {"a": bytes(range(200)) * 48, "b": b"\x01" * 2400}
    assert tape.position == 0 and tape.lost() == {}  # a new clock for the next connection


def test_done_items_are_trimmed_and_the_limit_drops_the_oldest_audio() -> None:
    tape = AudioTape(limit_ms=100)
    tape.appended(b"\x00" * 9600, PCM)  # 200 ms: more than the limit
    tape.commit_sent()
    tape.committed("old")
    assert tape.lost() == {"old": None}  # its start is no longer kept
    tape.appended(b"\x02" * 960, PCM)
    tape.commit_sent()
    tape.committed("x")
    tape.done("x")
    tape.appended(b"\x03" * 960, PCM)
    tape.commit_sent()
    tape.commit_refused()  # refused: the next acknowledgement is not its
    tape.commit_sent()
    tape.committed("y")
    assert tape.lost() == {"y": b"\x03" * 960}


def test_a_cleared_buffer_is_not_part_of_the_next_item() -> None:
    tape = AudioTape()
    tape.appended(b"\x01" * 960, PCM)
    tape.cleared()
    tape.appended(b"\x02" * 960, PCM)
    tape.commit_sent()
    tape.committed("a")
    assert tape.lost() == {"a": b"\x02" * 960}


def test_the_book_maps_a_resent_item_back_and_starts_its_text_over() -> None:
    book = TranscriptBook()
    book.observe(events.InputAudioBufferCommitted(event_id="e1", item_id="old"))
    book.observe(
        events.ConversationItemInputAudioTranscriptionDelta(
            event_id="e2", item_id="old", content_index=0, delta="hel"
        )
    )
    assert book.connection_lost(frozenset({"old"})) == []  # being sent again: not failed
    book.recovering("old")
    book.alias("new", "old")
    update = book.observe(
        events.ConversationItemInputAudioTranscriptionCompleted(
            event_id="e3",
            item_id="new",
            content_index=0,
            transcript="hello",
            usage=TranscriptTextUsageDuration(seconds=1.0),
        )
    )
    assert update is not None and (update.item_id, update.text, update.delta, update.final) == (
        "old",
        "hello",
        "hello",
        True,
    )
    # Anything about the item after its completion changes nothing.
    assert (
        book.observe(
            events.ConversationItemInputAudioTranscriptionDelta(
                event_id="e4", item_id="new", content_index=0, delta="x"
            )
        )
        is None
    )


def test_connection_lost_fails_committed_items_and_forgets_uncommitted_speech() -> None:
    book = TranscriptBook()
    book.observe(events.InputAudioBufferSpeechStarted(event_id="e1", item_id="spoken", audio_start_ms=0))
    book.observe(events.InputAudioBufferCommitted(event_id="e2", item_id="committed"))
    (failed,) = book.connection_lost()
    assert failed.item_id == "committed" and failed.final and failed.error is not None
    assert failed.error.code == "connection_lost"
    assert book.get("spoken") is None
