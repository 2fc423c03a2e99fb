"""Conversation state, without I/O: feed it every server event; ask it what to send.

Theory of operation
-------------------
One :class:`Conversation` mirrors one Realtime conversation as the client sees it. The edge (the
session) calls :meth:`Conversation.receive` with every decoded server event, in arrival order, and the
app reports what it has *played*. Nothing here reads a socket, sleeps or spawns tasks; methods that
need the server to do something (:meth:`~Conversation.interrupt`, :meth:`~Conversation.restore_events`)
*return* the client events to send and the edge sends them, in the order given.

``receive`` never raises on a server event, whatever its order, repetition or content: unknown events
(:class:`~realtime_sdk.events.UnknownServerEvent`) and events about things it has never heard of are
ignored or remembered for later. The rules it follows:

Items and their order
    ``conversation.item.added`` / ``.created`` / ``.done`` / ``.retrieved`` and
    ``input_audio_buffer.committed`` *place* an item in the conversation. The first placement puts it
    right after ``previous_item_id`` (``null`` means "first"; an id we do not know means "at the end").
    Later events about a placed item update its fields but never move it: real traffic sends
    ``conversation.item.done`` with ``previous_item_id: null`` for items that are not first.
    ``response.output_item.*`` and delta events make an item *known* (its audio, text and transcript
    are tracked) without placing it, because out-of-band responses (``conversation: "none"``) produce
    items that never enter the conversation. ``conversation.item.deleted`` removes an item for good: later
    events about a deleted id are ignored.

Content
    Each item holds a list of :class:`ContentPart` by ``content_index`` (indexes above 63 are
    ignored as garbage). Text and transcripts grow with their deltas and are replaced by their ``done``
    events; a non-null text or transcript in an item snapshot (``item.done``, ``output_item.done``,
    ``response.done``) also replaces them. A part that was truncated keeps the cut transcript: nothing
    the server sends afterwards brings the unheard words back.

User transcripts
    ``conversation.item.input_audio_transcription.delta`` / ``.completed`` / ``.failed`` may come before
    the item is known (before ``committed``) or long after the reply. They are kept per item id and
    content index in one place (:attr:`Conversation.input_transcripts`) and joined to the item whenever
    both exist. ``completed`` wins over deltas; deltas after ``completed`` are ignored; ``failed`` sets
    the part's ``transcription_error``.

Audio received
    Every ``response.output_audio.delta`` adds its decoded bytes to its (item, content index) part. Bytes
    become milliseconds with the format in force when the part's first delta arrived: the response's
    ``audio.output.format`` from ``response.created`` if it has one, else the session's (from
    ``session.created`` / ``session.updated``), else ``audio/pcm`` at 24 kHz. The bytes per ms are
    :func:`realtime_sdk.audio.bytes_per_ms`, the table the audio path converts with: 48 for
    ``audio/pcm``, 8 for G.711 (``audio/pcmu``, ``audio/pcma``).

Playback and interruption (see :meth:`Conversation.interrupt`)
    The app reports playback with :meth:`~Conversation.mark_played` (item and position in ms) or
    :meth:`~Conversation.mark_played_bytes` (bytes its player consumed, in arrival order across items).
    A part never reported falls back to the clock: heard = now - time of its first delta.
    ``interrupt()`` walks the audio parts in arrival order, skips the ones fully played, and for the
    first one still playing sends ``conversation.item.truncate`` with ``audio_end_ms = floor(heard)``,
    clamped to ``[0, floor(received ms)]`` (only for items placed in the conversation: the output of an
    out-of-band response has nothing to truncate). When less than 1 ms was heard it sends no truncate (the
    API rejects truncating an item that has no audio yet, "Only model output audio messages can be
    truncated", and an item nobody heard should not stay in the model's context): with
    ``unheard="delete"`` (the default) it sends ``conversation.item.delete`` if the item is placed in
    the conversation; with ``"keep"`` it sends nothing. Audio parts after the playing one were never
    heard: they are marked so and deleted the same way. A part counts as fully played when its audio is
    complete (``output_audio.done``, item or response done) and heard >= received - ``END_MARGIN_MS``
    (100 ms: the server's length of an item has been seen shorter than what the client received); then nothing is sent for it. So a truncate never goes past what
    was received, nor within 100 ms of the end of a complete item, and a part still streaming is cut
    exactly at what was heard. A ``session.created`` of another session (a reconnect: past items come
    back as text, without audio) empties the playback queue: nothing from before can be truncated.
    ``response.cancel`` (with the response id) is sent first when a response is still
    in progress, unless the server already cancels it itself: ``speech_started`` arrived during that
    response while server/semantic VAD has ``interrupt_response`` on (the API default).
    The local transcript is cut at once to the proportion of audio heard, rounded down to a word
    boundary (``heard / received * len(transcript)`` characters, then back to the last whitespace);
    ``conversation.item.truncated`` confirms it (and cuts the same way if the truncate came from
    elsewhere).

Responses
    Kept by id with status, output item ids, usage and timing. Usage totals (:attr:`usage`) are the sum
    of the usages of the ``response.done`` events, one per response id (a repeated ``response.done``
    replaces, never adds). Latency: the first of ``speech_stopped``, ``committed`` or
    :meth:`~Conversation.mark_turn_end` since the last ``response.created`` is the response's start
    (else its ``response.created``); ``latency`` runs to the first audio or text delta, ``duration`` to
    ``response.done``. Times come from the ``now`` argument or the injected clock.

Function calls
    ``function_call`` items carry name, call id and arguments (deltas, then done). A call is *pending*
    while its arguments are complete and no ``function_call_output`` with its call id is known.

History and restore
    :func:`history_events` turns items (local :class:`Item`, generated item structs or plain dicts) into
    ``conversation.item.create`` events: messages as text (past audio becomes its transcript, as far as
    it was heard), images and parts of types the SDK does not know as they were, in their place,
    function calls and their outputs. :meth:`Conversation.restore_events` does it for
    the placed items of this conversation, keeping their ids so the server-side conversation after a
    reconnect has the same items in the same order.

Where it lives
    This module has the rules and :class:`Conversation`, which applies session, item and speech events
    and hands the rest to one part per responsibility: the dataclasses, items and their order, user and
    assistant words, audio received and played, responses and usage, and history as client events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import msgspec
from msgspec import UNSET

from .._generated import (
    ClientEvent,
    ConversationCreated,
    ConversationItemAdded,
    ConversationItemCreated,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemInputAudioTranscriptionFailed,
    ConversationItemRetrieved,
    ConversationItemTruncated,
    Error,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    RateLimitsUpdated,
    RealtimeSessionCreateResponseGA,
    ResponseContentPartAdded,
    ResponseContentPartDone,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputAudioDelta,
    ResponseOutputAudioDone,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputAudioTranscriptDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
    ServerEvent,
    SessionCreated,
    SessionUpdated,
)
from ..events import UnknownServerEvent
from ._history import history_events, text_message
from ._playback import PlaybackMixin
from ._responses import ResponsesMixin
from ._state import (
    ContentPart,
    HistoryItem,
    InputTranscript,
    Item,
    Response,
    Usage,
    as_str,
    format_bytes_per_ms,
)
from ._transcripts import TranscriptsMixin

__all__ = [
    "ContentPart",
    "Conversation",
    "HistoryItem",
    "InputTranscript",
    "Item",
    "Response",
    "Usage",
    "history_events",
    "text_message",
]


class Conversation(PlaybackMixin, TranscriptsMixin, ResponsesMixin):
    """The state of one conversation. See the module docstring for the rules.

    ``clock`` gives the time for events received without an explicit ``now`` (default
    ``time.monotonic``); pass a fake clock in tests. ``unheard`` says what :meth:`interrupt` does with
    an assistant audio item nobody heard: ``"delete"`` it from the server conversation or ``"keep"`` it.
    """

    def receive(self, event: ServerEvent | UnknownServerEvent, now: float | None = None) -> None:
        """Apply one server event. Never raises on any server event."""
        t = self._clock() if now is None else now
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event, t)

    def mark_turn_end(self, now: float | None = None) -> None:
        """The app ended a turn itself (sent ``input_audio_buffer.commit`` or ``response.create``)."""
        if self._turn_end is None:
            self._turn_end = self._clock() if now is None else now

    def restore_events(self, *, keep_ids: bool = True, notes: list[str] | None = None) -> list[ClientEvent]:
        """``conversation.item.create`` events that rebuild this conversation on a fresh connection.

        ``notes`` receives a line for each thing that cannot go back as it was (see ``history_events``).
        """
        return history_events(self.items, keep_ids=keep_ids, notes=notes)

    def _on_session(self, event: SessionCreated | SessionUpdated, now: float) -> None:
        session = event.session
        new_id = as_str(session.id)
        if isinstance(event, SessionCreated) and self.session_id is not None and new_id != self.session_id:
            self._forget_playback()  # a reconnect: the past audio is not on this connection
        self.session_id = new_id or self.session_id
        if isinstance(session.expires_at, int):
            self.expires_at = session.expires_at
        if not isinstance(session, RealtimeSessionCreateResponseGA) or not isinstance(
            session.audio, msgspec.Struct
        ):
            return
        output = session.audio.output
        if isinstance(output, msgspec.Struct):
            bpm = format_bytes_per_ms(output.format)
            if bpm is not None:
                self.bytes_per_ms = bpm
        audio_input = session.audio.input
        if isinstance(audio_input, msgspec.Struct) and audio_input.turn_detection is not UNSET:
            detection = audio_input.turn_detection
            # API default for interrupt_response is true whenever VAD is on.
            self.vad_interrupts = detection is not None and detection.interrupt_response is not False

    def _on_conversation_created(self, event: ConversationCreated, now: float) -> None:
        self.conversation_id = as_str(event.conversation.id) or self.conversation_id

    def _on_item(
        self,
        event: ConversationItemAdded
        | ConversationItemCreated
        | ConversationItemDone
        | ConversationItemRetrieved,
        now: float,
    ) -> None:
        item = self._merge(event.item)
        if item is not None:
            self._place(item, getattr(event, "previous_item_id", UNSET))

    def _on_item_deleted(self, event: ConversationItemDeleted, now: float) -> None:
        item_id = event.item_id
        self._items.pop(item_id, None)
        if item_id in self._order:
            self._order.remove(item_id)
        self._deleted.add(item_id)

    def _on_committed(self, event: InputAudioBufferCommitted, now: float) -> None:
        if self._turn_end is None:
            self._turn_end = now
        item = self._item(event.item_id)
        if item is None:
            return
        if item.type is None:
            item.type, item.role = "message", "user"
            part = self._part(item.id, 0)
            if part is not None and part.type is None:
                part.type = "input_audio"
        self._place(item, event.previous_item_id)

    def _on_speech_started(self, event: InputAudioBufferSpeechStarted, now: float) -> None:
        self.speaking = True
        active = self.active_response
        if active is not None and self.vad_interrupts:
            active.cancelled_by_server = True

    def _on_speech_stopped(self, event: InputAudioBufferSpeechStopped, now: float) -> None:
        self.speaking = False
        if self._turn_end is None:
            self._turn_end = now

    def _on_rate_limits(self, event: RateLimitsUpdated, now: float) -> None:
        limits = event.rate_limits if isinstance(event.rate_limits, list) else []
        self.rate_limits = {(as_str(limit.name) or ""): limit for limit in limits}

    def _on_error(self, event: Error, now: float) -> None:
        self.last_error = event


_Handler: TypeAlias = Callable[[Conversation, Any, float], None]

_HANDLERS: dict[type, _Handler] = {
    SessionCreated: Conversation._on_session,
    SessionUpdated: Conversation._on_session,
    ConversationCreated: Conversation._on_conversation_created,
    ConversationItemAdded: Conversation._on_item,
    ConversationItemCreated: Conversation._on_item,
    ConversationItemDone: Conversation._on_item,
    ConversationItemRetrieved: Conversation._on_item,
    ConversationItemDeleted: Conversation._on_item_deleted,
    ConversationItemTruncated: Conversation._on_item_truncated,
    InputAudioBufferCommitted: Conversation._on_committed,
    InputAudioBufferSpeechStarted: Conversation._on_speech_started,
    InputAudioBufferSpeechStopped: Conversation._on_speech_stopped,
    ConversationItemInputAudioTranscriptionDelta: Conversation._on_transcription_delta,
    ConversationItemInputAudioTranscriptionCompleted: Conversation._on_transcription_completed,
    ConversationItemInputAudioTranscriptionFailed: Conversation._on_transcription_failed,
    ResponseCreated: Conversation._on_response_created,
    ResponseDone: Conversation._on_response_done,
    ResponseOutputItemAdded: Conversation._on_output_item,
    ResponseOutputItemDone: Conversation._on_output_item,
    ResponseContentPartAdded: Conversation._on_content_part,
    ResponseContentPartDone: Conversation._on_content_part,
    ResponseOutputTextDelta: Conversation._on_text_delta,
    ResponseOutputTextDone: Conversation._on_text_done,
    ResponseOutputAudioTranscriptDelta: Conversation._on_transcript_delta,
    ResponseOutputAudioTranscriptDone: Conversation._on_transcript_done,
    ResponseOutputAudioDelta: Conversation._on_audio_delta,
    ResponseOutputAudioDone: Conversation._on_audio_done,
    ResponseFunctionCallArgumentsDelta: Conversation._on_arguments_delta,
    ResponseFunctionCallArgumentsDone: Conversation._on_arguments_done,
    RateLimitsUpdated: Conversation._on_rate_limits,
    Error: Conversation._on_error,
}
