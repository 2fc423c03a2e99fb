"""The session's audio methods: thin delegates to the pipeline in ``_audio_io.py`` (and ``_audio_out.py``).

They live on ``RealtimeSession`` so that the app has one object to talk to; the conversion, chunking,
playback clock and interruption logic are the audio modules' own.  Signatures repeat the pipeline's on
purpose: they are the public API users and type checkers see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ..audio._sizes import Encoding, Quality, default_sample_rate
from ..errors import AudioOnCallError
from ..events import ClientEvent
from ._audio_io import AudioHost, InterruptCallback, PushToTalk
from ._audio_out import DEFAULT_MAX_BUFFERED_SECONDS, OutputAudioStream, PlaybackTracker
from ._state import SessionState

if TYPE_CHECKING:
    from ..audio._formats import AudioChunk

__all__ = ["SessionAudio"]


class SessionAudio(SessionState):
    @property
    def audio_paused(self) -> bool:
        """Whether ``send_audio`` drops its input (``start_audio_paused``, ``pause_audio``)."""
        return self._audio_io.sender.paused

    def pause_audio(self) -> None:
        """Mute: ``send_audio`` drops its input until ``resume_audio``.  Audio still held back from before
        (up to one chunk plus the resampler's look-ahead) is dropped too: ``flush_audio()`` first to keep it."""
        self._audio_io.sender.paused = True
        self._audio_io.sender.reset()

    def resume_audio(self) -> None:
        self._audio_io.sender.paused = False

    async def send_audio(
        self,
        samples: AudioChunk,
        sample_rate: int | None = None,
        channels: int = 1,
        encoding: Encoding | None = None,
    ) -> None:
        """Send microphone, file or telephone audio; it is converted to the session's input format.

        ``samples``: bytes (PCM16 little-endian, or ``encoding="float32"``, ``"pcmu"``, ``"pcma"``) or a numpy
        array (int16, float32/float64 in [-1, 1]; 1-D, or ``(frames, channels)``).  ``sample_rate``
        defaults to 8000 for G.711 (``encoding="pcmu"``/``"pcma"``) and to 24000 otherwise.  Resampled to
        24 kHz PCM16, or to 8 kHz G.711 for a ``audio/pcmu``/``audio/pcma`` session (μ-law at 8 kHz into a
        μ-law session passes through untouched).  Appended in chunks of ``audio_chunk_ms`` (constructor; default
        40 ms, see ``_audio_send.DEFAULT_CHUNK_MS`` for why).  Dropped while paused.  Bytes may be cut
        anywhere, even inside a sample (the partial sample waits for the next call), but the stream must
        add up to whole samples: one that ends inside a sample raises ``AudioFormatError`` at
        ``flush_audio`` / ``commit_audio``.
        """
        await self._audio_io.send(samples, default_sample_rate(sample_rate, encoding), channels, encoding)

    async def flush_audio(self) -> None:
        """Send what ``send_audio`` still holds back (resampler tail, partial chunk).  ``commit_audio`` does it."""
        await self._audio_io.sender.flush()

    def output_audio(
        self,
        *,
        sample_rate: int | None = None,
        encoding: Encoding = "pcm16",
        channels: int = 1,
        quality: Quality = "HQ",
        max_buffered_seconds: float = DEFAULT_MAX_BUFFERED_SECONDS,
    ) -> OutputAudioStream:
        """The assistant's audio from now on, converted for a player: ``async for chunk in stream``.

        ``sample_rate`` defaults to 8000 for G.711 (``encoding="pcmu"``/``"pcma"``: a phone line) and to
        24000 otherwise.

        Yields ``OutputAudioChunk(response_id, item_id, content_index, data)`` and, when playback is
        interrupted, ``AudioInterrupted(...)``: flush the player then.  ``stream.tracker.played(nbytes)``
        reports playback (from any thread) so that interruptions truncate at what was heard.  Create it
        before the response starts: a stream only sees audio that arrives after it was made.  Unread audio
        waits in the stream (never blocking the reader), up to ``max_buffered_seconds`` of audio: past that
        the oldest unread chunks are dropped (``stream.dropped_seconds``).  ``close()`` it, or leave
        ``async with``, when done.

        Raises ``AudioOnCallError`` on a sideband (``attach``): the call carries that audio, not the
        websocket.
        """
        if self._endpoint.sideband:
            raise AudioOnCallError(
                "this session is attached to a call: the assistant's audio travels over the call (SIP or "
                "WebRTC), not over this websocket, so there is no audio to stream here; follow it with "
                "the output_audio_buffer.started / output_audio_buffer.stopped events"
            )
        rate = default_sample_rate(sample_rate, encoding)
        return self._audio_io.output_stream(rate, encoding, channels, quality, max_buffered_seconds)

    def playback_tracker(
        self, *, sample_rate: int | None = None, encoding: Encoding = "pcm16", channels: int = 1
    ) -> PlaybackTracker:
        """A playback clock for audio the app plays from elsewhere (``handle.audio()``, its own conversion):
        call ``tracker.queued(item_id, nbytes)`` when bytes go to the player and ``tracker.played(nbytes)``
        as it consumes them.  ``sample_rate`` defaults to 8000 for G.711 encodings, else 24000."""
        return self._audio_io.tracker(default_sample_rate(sample_rate, encoding), encoding, channels)

    def mark_played(self, item_id: str, ms: float, content_index: int = 0) -> None:
        """The player is ``ms`` milliseconds into this part (earlier parts count as fully played)."""
        self.conversation.mark_played(item_id, ms, content_index)

    async def interrupt(
        self, played_ms: Mapping[str, float] | None = None, *, cancel: bool | None = None
    ) -> list[ClientEvent]:
        """Stop the assistant where the user stopped hearing it; returns the events sent.

        Output streams get an ``AudioInterrupted`` marker, ``on_interrupt`` callbacks run, then
        ``response.cancel`` (unless server VAD cancels by itself; ``cancel`` forces it either way),
        ``conversation.item.truncate`` at what was heard and deletes of parts nobody heard are sent.
        Server VAD's ``speech_started`` does the same by itself when ``interrupt_response`` is on.
        On a sideband, while the call plays a response: ``response.cancel`` if it is still generating,
        ``output_audio_buffer.clear``, and a truncate at the time the call has played it.
        """
        return await self._audio_io.interrupt(played_ms, cancel=cancel)

    def on_interrupt(self, callback: InterruptCallback) -> InterruptCallback:
        """Decorator: ``callback(AudioInterrupted)`` on every interruption (sync, or async run as a task)."""
        self._audio_io.on_interrupt(callback)
        return callback

    def push_to_talk(self, *, interrupt: bool = True, **response_fields: Any) -> PushToTalk:
        """``async with session.push_to_talk() as turn: await turn.send(audio, sample_rate=16000)``; on exit
        the turn is committed, ``turn.response`` is the handle of the response asked for and
        ``await turn.transcript()`` what the user said."""
        return PushToTalk(
            cast("AudioHost", self),
            self._audio_io,
            interrupt=interrupt,
            response_fields=response_fields,
        )
