"""The playback clock of a sideband (``RealtimeSession.attach``) for a caller that has a clock.

On a SIP or WebRTC call no ``response.output_audio.delta`` reaches the websocket: the service plays the
assistant to the caller itself and says so with ``output_audio_buffer.started`` / ``stopped`` /
``cleared``.  What was heard, and what an interruption sends there (``response.cancel``,
``output_audio_buffer.clear``, ``conversation.item.truncate`` at the call's clock), are decided by
:class:`realtime_sdk.protocol.CallPlayback` (the rules are in ``protocol/_interruption.py``); the session's
audio pipeline uses it through :class:`~realtime_sdk.protocol.Interruption`, passing its own ``now``.
:class:`CallAudio` is that playback clock for a caller that has a clock instead: it reads ``clock`` for each
call and gives the cut as an :class:`~realtime_sdk._audio_out.AudioInterrupted` marker.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..conversation import Conversation
from ..events import AnyServerEvent, ClientEvent
from ..protocol import CallPlayback
from ._audio_out import AudioInterrupted

__all__ = ["CallAudio"]


class CallAudio:
    """Which responses' audio is playing on the call, and since when (``clock`` seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.playback = CallPlayback()

    def on_event(self, event: AnyServerEvent) -> None:
        self.playback.receive(event, self._clock())

    def heard_ms(self, response_id: str) -> float | None:
        """Milliseconds of this response's audio played on the call so far; ``None`` when not playing."""
        return self.playback.heard_ms(response_id, self._clock())

    @property
    def playing(self) -> str | None:
        """The response whose audio plays on the call now (the latest started), if any."""
        return self.playback.playing

    def cut(
        self, conversation: Conversation, *, cancel: bool | None, send: bool
    ) -> tuple[list[ClientEvent], AudioInterrupted]:
        """Stop the playing response's audio; the events to send (none when ``send`` is false: VAD)."""
        cut = self.playback.cut(conversation, cancel=cancel, send=send, now=self._clock())
        marker = AudioInterrupted(cut.response_id, cut.item_id, cut.content_index, cut.audio_end_ms)
        return list(cut.events), marker
