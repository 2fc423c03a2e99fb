"""The input audio buffer: append, commit, clear, and server VAD turning it into user turns.

Times (``audio_start_ms`` / ``audio_end_ms``) count all audio appended in the session.  The buffer keeps
PCM16 samples at the input format's own rate from ``buffer_start_ms`` on.  A VAD turn commits the audio
from its ``audio_start_ms`` (prefix padding included) to its ``audio_end_ms`` (trailing silence included);
audio before the turn is dropped, audio after it stays buffered.  A manual commit takes the whole buffer
and needs at least 100 ms of it, like the real service.

Idle timeout (``server_vad``'s ``idle_timeout_ms``), as the API reference documents it: the timeout runs
from the moment the last model response's audio has finished playing — ``response.done`` time plus the
response's audio duration — and when the user has not started speaking for ``idle_timeout_ms`` after
that, the server sends ``input_audio_buffer.timeout_triggered`` (``audio_start_ms``: the end of that
playback, or the buffer's start if later; ``audio_end_ms``: ``idle_timeout_ms`` later; a new
``item_id``), commits that (silent) stretch of the buffer as a user ``input_audio`` item
(``input_audio_buffer.committed`` and the item events) and creates a response.  Everything is measured on
the input audio clock: ``response.done`` is placed at the amount of input audio received when it was
sent, and the timeout fires while the audio that reaches ``audio_end_ms`` is being appended — a client
that stops sending audio stops the clock, as a real microphone stream would not.  Choices where the
reference says nothing: the timer is armed by a finished response only (none before the first response);
speech disarms it until the next response finishes; it never fires while a response is active; the
response is created whatever ``create_response`` says (the timeout exists to trigger one).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .._generated import (
    InputAudioBufferAppend,
    InputAudioBufferCleared,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
)
from .._struct import Struct
from ._codec import WireFormat
from ._errors import ClientError
from ._ids import new_id
from ._vad import SEMANTIC_SILENCE_MS, EnergyVad

MIN_COMMIT_MS = 100


class TurnHost(Protocol):
    """What the input buffer needs from its connection: where turns go."""

    def emit(self, event: Struct) -> None: ...

    def responding(self) -> bool: ...

    def commit_user_audio(self, pcm24: bytes, item_id: str) -> None: ...

    def auto_response(self) -> None: ...

    def interrupt(self, reason: str) -> None: ...


class InputAudio:
    def __init__(self, proto: TurnHost) -> None:
        self.proto = proto
        self.format = WireFormat("audio/pcm")
        self.turn_detection: dict[str, Any] | None = None
        self.vad: EnergyVad | None = None
        self.position_ms = 0.0
        self.buffer_start_ms = 0.0
        self._chunks: list[NDArray[np.int16]] = []
        self._samples = 0
        self.speech_item_id: str | None = None
        self.speech_start_ms = 0
        self.idle_from_ms: float | None = None
        """Input audio position where the last response's playback ended (None: idle timer disarmed)."""

    def configure(self, session: dict[str, Any]) -> None:
        audio_in = session["audio"]["input"]
        fmt = WireFormat(audio_in["format"]["type"])
        td = audio_in.get("turn_detection")
        if fmt != self.format or td != self.turn_detection:
            if fmt != self.format:
                self._drop_all()
            self.format = fmt
            self.turn_detection = td
            self.vad = self._make_vad(td)
            self.speech_item_id = None
            if self.idle_from_ms is not None:  # a new timeout counts from now, not from the past
                self.idle_from_ms = max(self.idle_from_ms, self.position_ms)

    def _make_vad(self, td: dict[str, Any] | None) -> EnergyVad | None:
        if td is None:
            return None
        if td["type"] == "server_vad":
            threshold, prefix, silence = td["threshold"], td["prefix_padding_ms"], td["silence_duration_ms"]
        else:
            threshold, prefix = 0.5, 300
            silence = SEMANTIC_SILENCE_MS.get(td.get("eagerness") or "auto", 500)
        vad = EnergyVad(
            rate=self.format.rate, threshold=threshold, prefix_padding_ms=prefix, silence_duration_ms=silence
        )
        vad.position_ms = int(self.position_ms)
        vad.floor_ms = int(self.buffer_start_ms)
        return vad

    @property
    def buffered_ms(self) -> float:
        return self._samples * 1000 / self.format.rate

    def append(self, event: InputAudioBufferAppend) -> None:
        data = event.audio
        if len(data) % self.format.sample_width:
            raise ClientError(
                "invalid_value",
                f"Invalid 'audio': {len(data)} bytes is not a whole number of 16-bit samples for "
                f"'{self.format.type}'.",
                "audio",
            )
        samples = self.format.to_pcm16(data)
        if not samples.size:
            return
        self._chunks.append(samples)
        self._samples += samples.size
        chunk_start_ms = self.position_ms
        self.position_ms += samples.size * 1000 / self.format.rate
        if self.vad is None:
            return
        # The VAD hears the chunk in two parts when the idle deadline falls inside it, so that speech
        # detected before the deadline wins over the timeout and the timeout ends exactly on time.
        done = 0
        deadline = self._idle_deadline()
        while deadline is not None and deadline <= self.position_ms:
            cut = max(done, round((deadline - chunk_start_ms) * self.format.rate / 1000))
            self._detect(samples[done:cut])
            done = cut
            if self._idle_deadline() == deadline:
                self._idle_timeout(deadline)
            deadline = self._idle_deadline()
        self._detect(samples[done:])

    def _detect(self, samples: NDArray[np.int16]) -> None:
        assert self.vad is not None
        for vad_event in self.vad.feed(samples):
            if vad_event.kind == "started":
                self._speech_started(vad_event.ms)
            else:
                self._speech_stopped(vad_event.ms)

    # -- idle timeout --------------------------------------------------------------------------------
    def response_played(self, audio_ms: float) -> None:
        """A response is done (``response.done`` now) with ``audio_ms`` of audio: arm the idle timer from
        the end of its playback, unless the user is speaking."""
        if self.speech_item_id is None:
            self.idle_from_ms = self.position_ms + audio_ms

    def _idle_timeout_ms(self) -> int | None:
        td = self.turn_detection
        if td is None or td.get("type") != "server_vad":
            return None  # the reference: idle timeout is only supported for server_vad
        timeout = td.get("idle_timeout_ms")
        return timeout if isinstance(timeout, int) else None

    def _idle_deadline(self) -> float | None:
        timeout = self._idle_timeout_ms()
        if timeout is None or self.idle_from_ms is None or self.speech_item_id is not None:
            return None
        if self.proto.responding():
            return None
        return max(self.idle_from_ms, self.buffer_start_ms) + timeout

    def _idle_timeout(self, deadline: float) -> None:
        timeout = self._idle_timeout_ms()
        assert timeout is not None
        start_ms = deadline - timeout
        item_id = new_id("item")
        self.idle_from_ms = None
        self.proto.emit(
            InputAudioBufferTimeoutTriggered(
                event_id=new_id("event"),
                audio_start_ms=round(start_ms),
                audio_end_ms=round(deadline),
                item_id=item_id,
            )
        )
        self._take(start_ms)  # audio before the idle stretch (heard during playback) is dropped
        samples = self._take(deadline)
        if self.vad is not None:
            self.vad.floor_ms = max(self.vad.floor_ms, int(deadline))
        self.proto.commit_user_audio(self.format.to_model(samples), item_id)
        self.proto.auto_response()

    def _speech_started(self, ms: int) -> None:
        self.speech_item_id = new_id("item")
        self.speech_start_ms = ms
        self.idle_from_ms = None
        self.proto.emit(
            InputAudioBufferSpeechStarted(
                event_id=new_id("event"), audio_start_ms=ms, item_id=self.speech_item_id
            )
        )
        td = self.turn_detection or {}
        if td.get("interrupt_response", True):
            self.proto.interrupt("turn_detected")

    def _speech_stopped(self, ms: int) -> None:
        item_id = self.speech_item_id or new_id("item")
        self.speech_item_id = None
        self.proto.emit(
            InputAudioBufferSpeechStopped(event_id=new_id("event"), audio_end_ms=ms, item_id=item_id)
        )
        self._take(self.speech_start_ms)  # drop what came before the turn
        samples = self._take(ms)
        self.proto.commit_user_audio(self.format.to_model(samples), item_id)
        td = self.turn_detection or {}
        if td.get("create_response", True):
            self.proto.auto_response()

    def commit(self) -> None:
        ms = self.buffered_ms
        if ms < MIN_COMMIT_MS:
            raise ClientError(
                "input_audio_buffer_commit_empty",
                f"Error committing input audio buffer: buffer too small. Expected at least {MIN_COMMIT_MS}ms "
                f"of audio, but buffer only has {ms:.2f}ms of audio.",
            )
        item_id = self.speech_item_id or new_id("item")
        self.speech_item_id = None
        samples = self._take(self.position_ms)
        if self.vad is not None:
            self.vad.reset(int(self.position_ms))
        self.proto.commit_user_audio(self.format.to_model(samples), item_id)

    def clear(self) -> None:
        self._drop_all()
        if self.vad is not None:
            self.vad.reset(int(self.position_ms))
        self.speech_item_id = None
        self.proto.emit(InputAudioBufferCleared(event_id=new_id("event")))

    def _drop_all(self) -> None:
        self._chunks.clear()
        self._samples = 0
        self.buffer_start_ms = self.position_ms

    def _take(self, until_ms: float) -> NDArray[np.int16]:
        """Remove and return the buffered samples from the buffer's start up to ``until_ms``."""
        n = round((until_ms - self.buffer_start_ms) * self.format.rate / 1000)
        n = max(0, min(n, self._samples))
        whole = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        taken, rest = whole[:n], whole[n:]
        self._chunks = [rest] if rest.size else []
        self._samples = rest.size
        self.buffer_start_ms += n * 1000 / self.format.rate
        return taken
