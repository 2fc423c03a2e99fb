"""The playback clock of a sideband (``RealtimeSession.attach``), where the call carries the audio.

Theory of operation
-------------------
On a SIP or WebRTC call no ``response.output_audio.delta`` reaches the websocket: the service plays the
assistant to the caller itself and says so with ``output_audio_buffer.started`` (a response's audio began
playing) and ``output_audio_buffer.stopped`` (it played to the end); ``output_audio_buffer.cleared``
confirms a cut.  So what the caller heard of a response is the time since its ``started``, and a response
whose ``stopped`` came was heard whole.

An interruption (``session.interrupt()``) while a response's audio plays sends, in this order:
``response.cancel`` (when the response is still generating and the server VAD does not cancel it by
itself), ``output_audio_buffer.clear`` (the documented way to cut the caller's audio, after the cancel), and
``conversation.item.truncate`` at the time heard.  The truncate is one the service accepts: the service
generates audio faster than it plays it, so the time since ``started`` (which reached us after the audio
began) is never past what it has; it is sent only when the response has exactly one audio part (with
several, the time cannot be split between them without their lengths, which no event gives here) and at
least 1 ms was heard.  The local transcript is kept whole: without the audio's length there is no
proportion to cut it to (the service drops its own transcript of a truncated item).

An interruption by server VAD (``speech_started``) sends nothing: the service cuts the call's audio and
cancels the response itself; the app's ``on_interrupt`` callbacks still run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from .._generated import (
    ConversationItemTruncate,
    OutputAudioBufferClear,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    ResponseCancel,
)
from ..conversation import Conversation
from ..conversation._state import AUDIO_PART_TYPES
from ..events import AnyServerEvent, ClientEvent
from ._audio_out import AudioInterrupted

__all__ = ["CallAudio"]


class CallAudio:
    """Which responses' audio is playing on the call, and since when (``clock`` seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._playing: dict[str, float] = {}

    def on_event(self, event: AnyServerEvent) -> None:
        if isinstance(event, OutputAudioBufferStarted):
            self._playing.setdefault(event.response_id, self._clock())
        elif isinstance(event, OutputAudioBufferStopped | OutputAudioBufferCleared):
            self._playing.pop(event.response_id, None)

    def heard_ms(self, response_id: str) -> float | None:
        """Milliseconds of this response's audio played on the call so far; ``None`` when not playing."""
        started = self._playing.get(response_id)
        return None if started is None else max(0.0, (self._clock() - started) * 1000.0)

    @property
    def playing(self) -> str | None:
        """The response whose audio plays on the call now (the latest started), if any."""
        return next(reversed(self._playing), None)

    def cut(
        self, conversation: Conversation, *, cancel: bool | None, send: bool
    ) -> tuple[list[ClientEvent], AudioInterrupted]:
        """Stop the playing response's audio; the events to send (none when ``send`` is false: VAD)."""
        response_id = self.playing
        assert response_id is not None
        heard = self.heard_ms(response_id) or 0.0
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
        if len(parts) == 1 and end_ms >= 1:
            item_id, index, part = parts[0]
            part.truncated_ms = end_ms
            if send:
                events.append(
                    ConversationItemTruncate(item_id=item_id, content_index=index, audio_end_ms=end_ms)
                )
            return events, AudioInterrupted(response_id, item_id, index, end_ms)
        return events, AudioInterrupted(response_id, None, None, None)
