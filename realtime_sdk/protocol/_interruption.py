"""Interruption and truncation as decisions: what to send when the assistant is cut off, and what to drop.

Theory of operation
-------------------
:class:`Interruption` is fed the session's server events in order (``receive(event, now)``, after the
:class:`~realtime_sdk.conversation.Conversation` it was given has applied them) and what the player reports
as played (``played``).  Asked to ``interrupt``, it answers with a :class:`Cut`: the client events to send,
in order, and the part that was cut.  It never sends, never awaits and never reads a clock: ``now``
(seconds, any monotonic origin) comes in with each call.

Through the websocket (audio deltas arrive and the app plays them), the rules are the conversation's
(:meth:`Conversation.interrupt <realtime_sdk.conversation.Conversation.interrupt>`, reused, not restated):
``response.cancel`` first when a response is still generating and server VAD will not cancel it by
itself (``speech_started`` came during it while turn detection has ``interrupt_response`` on; ``cancel``
forces it either way); then ``conversation.item.truncate`` of the first audio part still playing, with
``audio_end_ms`` = what was heard rounded down, never more than was received; no truncate when less
than 1 ms was heard (the item is deleted instead, with ``unheard="delete"``) nor for a part played to
within ``END_MARGIN_MS`` of its end; deletes of the parts after it, which nobody heard.  Nothing playing
and no response generating: no cut at all (``None``).

On a sideband (``RealtimeSession.attach``) the call plays the audio and no delta reaches the socket; while
``output_audio_buffer.started`` says a response plays there and no ``stopped`` / ``cleared`` came, the call's
clock decides instead (:class:`CallPlayback`): the cancel as above, ``output_audio_buffer.clear``, and a
truncate at the time since ``started`` when the response has exactly one audio part and at least 1 ms
was heard.  An interruption by server VAD (``by_server=True``) sends nothing there: the service cuts the
call's audio and cancels the response itself.

Either way the interrupted response's later audio is dropped on arrival (``drops_audio_of``) until its
``response.done``; a new response's audio is not.  ``receive`` answers ``True`` for the one event that
interrupts by itself: ``input_audio_buffer.speech_started`` while server VAD interrupts responses.

The edge (``session/_audio_io.py``) reads the clock, syncs the players' positions in (not on a call, where
they do not count: ``on_call``), sends the cut's events, interrupts its streams and runs the app's
``on_interrupt`` callbacks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import msgspec

from .._generated import (
    ConversationItemDelete,
    ConversationItemTruncate,
    InputAudioBufferSpeechStarted,
    OutputAudioBufferClear,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    ResponseCancel,
    ResponseDone,
)
from ..conversation import Conversation
from ..conversation._state import AUDIO_PART_TYPES
from ..events import AnyServerEvent, ClientEvent

__all__ = ["CallPlayback", "Cut", "Interruption"]


class Cut(msgspec.Struct, frozen=True):
    """One interruption decided: the events to send, in this order, and what was cut.

    ``item_id`` / ``content_index`` name the part that was playing and ``audio_end_ms`` how much of it was
    heard (the truncate's ``audio_end_ms``; 0 when it was deleted unheard).  All three are ``None`` when no
    audio was playing (a response interrupted before any of its audio), or on a call when the heard time
    cannot be given to one part.  ``on_call``: the audio played on a sideband's call, not through the
    app's players (the edge has no stream to flush).
    """

    events: tuple[ClientEvent, ...]
    response_id: str | None
    item_id: str | None = None
    content_index: int | None = None
    audio_end_ms: int | None = None
    on_call: bool = False


class CallPlayback:
    """A sideband's playback clock: which responses' audio plays on the call, and since when.

    ``output_audio_buffer.started`` starts a response's clock (a repeat keeps the first start);
    ``stopped`` (played to the end) and ``cleared`` (cut) stop it.  What the caller heard of a response is
    the time since its ``started``: the service generates audio faster than it plays it, and ``started``
    reached us after the audio began, so that time is never past what the service has.
    """

    def __init__(self) -> None:
        self._playing: dict[str, float] = {}

    def receive(self, event: AnyServerEvent, now: float) -> None:
        if isinstance(event, OutputAudioBufferStarted):
            self._playing.setdefault(event.response_id, now)
        elif isinstance(event, OutputAudioBufferStopped | OutputAudioBufferCleared):
            self._playing.pop(event.response_id, None)

    @property
    def playing(self) -> str | None:
        """The response whose audio plays on the call now (the latest started), if any."""
        return next(reversed(self._playing), None)

    def heard_ms(self, response_id: str, now: float) -> float | None:
        """Milliseconds of this response's audio played on the call by ``now``; ``None`` when not playing."""
        started = self._playing.get(response_id)
        return None if started is None else max(0.0, (now - started) * 1000.0)

    def cut(self, conversation: Conversation, *, cancel: bool | None, send: bool, now: float) -> Cut:
        """Stop the playing response's audio (there must be one: ``playing``).

        ``send`` false (server VAD interrupted: the service cuts and cancels by itself): the same state
        changes, no events.
        """
        response_id = self.playing
        assert response_id is not None
        heard = self.heard_ms(response_id, now) or 0.0
        del self._playing[response_id]
        events: list[ClientEvent] = []
        active = conversation.active_response
        if active is not None:
            active.interrupted = True
            if cancel is None:
                cancel = not active.cancelled_by_server
            if cancel and not active.cancel_sent and send:
                active.cancel_sent = True
                events.append(ResponseCancel(response_id=active.id))
        if send:
            events.append(OutputAudioBufferClear())
        response = conversation.responses.get(response_id)
        parts = []
        for item_id in response.output_item_ids if response is not None else []:
            item = conversation.item(item_id)
            if item is None or not item.placed:
                continue
            for index, part in enumerate(item.content):
                if part.type in AUDIO_PART_TYPES and not part.settled:
                    parts.append((item_id, index, part))
        end_ms = math.floor(heard)
        # Several audio parts: the heard time cannot be split between them (no event gives their lengths).
        if len(parts) == 1 and end_ms >= 1:
            item_id, index, part = parts[0]
            part.truncated_ms = end_ms
            if send:
                events.append(
                    ConversationItemTruncate(item_id=item_id, content_index=index, audio_end_ms=end_ms)
                )
            return Cut(tuple(events), response_id, item_id, index, end_ms, on_call=True)
        return Cut(tuple(events), response_id, on_call=True)


class Interruption:
    """The interruption decisions of one session over its ``conversation`` (see the module docstring)."""

    WANTS = frozenset(
        {
            "response.done",
            "input_audio_buffer.speech_started",
            "output_audio_buffer.started",
            "output_audio_buffer.stopped",
            "output_audio_buffer.cleared",
        }
    )
    """The event types ``receive`` reads (audio deltas need not be fed: ask ``drops_audio_of``)."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.call = CallPlayback()
        """On a sideband: the call's playback clock, from ``output_audio_buffer.*``."""
        self._dropped: set[str] = set()

    # -- events in ---------------------------------------------------------------------------------

    def receive(self, event: AnyServerEvent, now: float) -> bool:
        """Apply one server event; ``True`` when it interrupts: call ``interrupt(now, by_server=True)``.

        Only ``input_audio_buffer.speech_started`` does, and only while the session's turn detection
        interrupts responses (``interrupt_response``, on by default whenever server VAD is).
        """
        if isinstance(event, ResponseDone):
            rid = event.response.id
            if isinstance(rid, str):
                self._dropped.discard(rid)  # no audio comes after response.done
        elif isinstance(event, InputAudioBufferSpeechStarted):
            return self.conversation.vad_interrupts
        else:
            self.call.receive(event, now)
        return False

    def played(self, item_id: str, ms: float, content_index: int = 0) -> None:
        """The player is ``ms`` into this part's audio (earlier parts count as fully played)."""
        self.conversation.mark_played(item_id, ms, content_index)

    def drops_audio_of(self, response_id: str) -> bool:
        """Audio of this response arriving now comes after its interruption: drop it."""
        return response_id in self._dropped

    @property
    def on_call(self) -> bool:
        """A response's audio plays on a sideband's call: an interruption cuts it there, by its clock."""
        return self.call.playing is not None

    # -- the decision ------------------------------------------------------------------------------

    def interrupt(
        self,
        now: float,
        played_ms: Mapping[str, float] | None = None,
        *,
        cancel: bool | None = None,
        by_server: bool = False,
    ) -> Cut | None:
        """Cut the assistant off where the user stopped hearing it; ``None`` when there is nothing to cut.

        ``played_ms`` maps item ids to positions heard (content index 0), as ``played``.  ``cancel``:
        ``None`` decides, ``True`` / ``False`` force the ``response.cancel``.  ``by_server``: server VAD
        interrupted (``receive`` said so); on a call nothing is sent then.  Asked again, it sends nothing
        new for what was already cut.
        """
        conversation = self.conversation
        if self.call.playing is not None:
            cut = self.call.cut(conversation, cancel=cancel, send=not by_server, now=now)
            if cut.response_id is not None:
                self._dropped.add(cut.response_id)
            return cut
        active = conversation.active_response
        events = conversation.interrupt(played_ms, cancel=cancel, now=now)
        truncate = next((e for e in events if isinstance(e, ConversationItemTruncate)), None)
        delete = next((e for e in events if isinstance(e, ConversationItemDelete)), None)
        if active is None and truncate is None and delete is None:
            return None
        if active is not None:
            self._dropped.add(active.id)
        item_id = content_index = audio_end_ms = None
        if truncate is not None:
            item_id, content_index, audio_end_ms = (
                truncate.item_id,
                truncate.content_index,
                truncate.audio_end_ms,
            )
        elif delete is not None:
            item_id, content_index, audio_end_ms = delete.item_id, 0, 0
        item = conversation.item(item_id) if item_id is not None else None
        response_id = item.response_id if item is not None else (active.id if active else None)
        return Cut(tuple(events), response_id, item_id, content_index, audio_end_ms)
