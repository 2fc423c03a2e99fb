"""Application audio into ``input_audio_buffer.append``: convert, cut into chunks, append in order.

Theory of operation
-------------------
``send(samples, sample_rate, channels, encoding)`` converts with one
:class:`~realtime_sdk.audio.InputConverter` (24 kHz mono PCM16 into an ``audio/pcm`` session instead
passes through untouched, with ``audio._bytes.PcmPassThrough``), kept for as long as the input's
description (rate, channels, encoding) and the session's input format stay the same.  When the input changes, the old converter is
flushed first (its held-back tail is sent, nothing is lost); when the *session's* format changed, the old
tail and any partial chunk are dropped instead, since the server now reads the buffer differently.

Byte input may be cut anywhere, even inside a sample: the converter carries an incomplete frame (the odd
byte of a PCM16 sample) over to the next ``send``.  A stream that *ends* inside a frame had a stray byte
somewhere, and every sample after it was shifted into noise: ``flush()`` (so ``commit_audio``) then drops
the partial frame and raises ``AudioFormatError``, and so does a ``send`` that changes the input's
description while a partial frame is held.

Converted bytes go through a :class:`~realtime_sdk.audio.Chunker` so that every append carries exactly
``chunk_ms`` of audio; ``flush()`` sends the converter's tail and the last partial chunk, and must run before
a commit (``commit_audio`` does it).  A lock keeps appends from concurrent callers in one piece each.

Paused (``start_audio_paused`` or ``pause_audio()``), ``send`` drops its input and the converter and
chunker are reset: audio given before the pause that was still held back (up to one chunk plus the
resampler's look-ahead, about 40 + 40 ms) is dropped too.  Call ``flush_audio()`` before pausing to send it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from ..audio._bytes import Chunker, PcmPassThrough, same_pcm
from ..audio._sizes import AudioFormat, Encoding, Quality, bytes_per_ms
from ..errors import AudioFormatError

if TYPE_CHECKING:
    from ..audio._convert import InputConverter
    from ..audio._formats import AudioChunk

__all__ = ["DEFAULT_CHUNK_MS", "AudioSender"]

DEFAULT_CHUNK_MS: Final = 40
"""Audio per ``input_audio_buffer.append``.  40 ms: each append is a JSON text frame with base64 inside
(about 130 bytes of envelope plus a third more for base64), so 20 ms chunks spend twice the frames and
per-event server work for nothing, while 100 ms chunks make every sample wait up to 100 ms before the
server's VAD sees it.  40 ms keeps the added delay below a typical 200-500 ms VAD silence window's
resolution and 25 frames a second; a 16 kHz microphone's 20 ms buffers go out in pairs."""


class AudioSender:
    def __init__(
        self,
        append: Callable[[bytes], Awaitable[None]],
        wire_format: Callable[[], AudioFormat],
        *,
        chunk_ms: float = DEFAULT_CHUNK_MS,
        paused: bool = False,
        quality: Quality = "HQ",
    ) -> None:
        self._append = append
        self._wire_format = wire_format
        self.chunk_ms = chunk_ms
        self.quality: Quality = quality
        self.paused = paused
        self._converter: InputConverter | PcmPassThrough | None = None
        self._key: tuple[AudioFormat, int, int, Encoding] | None = None
        self._chunker: Chunker | None = None
        self._chunk_format: AudioFormat = "audio/pcm"
        self._chunk_bytes_per_ms = bytes_per_ms(self._chunk_format)
        self._lock = asyncio.Lock()
        self.sent_ms = 0.0
        """Milliseconds of audio appended so far, over the whole session."""

    async def send(
        self, samples: AudioChunk, sample_rate: int, channels: int, encoding: Encoding | None
    ) -> None:
        if self.paused:
            self.reset()
            return
        async with self._lock:
            old_key, stray = self._key, self._pending()
            carried, converter = self._converter_for(sample_rate, channels, encoding or "pcm16")
            data = converter.convert(samples)
            if self._chunker is not None:
                for chunk in self._chunker.push(carried + data if carried else data):
                    await self._append(chunk)
                    self.sent_ms += len(chunk) / self._chunk_bytes_per_ms
        if stray and old_key is not None and old_key != self._key:
            raise AudioFormatError(_stray(stray, old_key[3], "the input changed"))

    async def flush(self) -> None:
        """Send what the converter and the chunker hold back (end of a turn).

        Raises ``AudioFormatError`` when the byte input ended inside a frame (after sending the rest).
        """
        async with self._lock:
            key, stray = self._key, self._pending()
            if self._converter is not None:
                await self._push(self._converter.flush())
            if self._chunker is not None:
                rest = self._chunker.flush()
                if rest:
                    await self._emit(rest)
        if stray and key is not None:
            raise AudioFormatError(_stray(stray, key[3], "flush_audio() (or commit_audio())"))

    def _pending(self) -> int:
        return self._converter.pending_bytes if self._converter is not None else 0

    def reset(self) -> None:
        """Drop held-back audio (pause, a cleared input buffer)."""
        if self._converter is not None:
            self._converter.reset()
        if self._chunker is not None:
            self._chunker.reset()

    # -- internals ---------------------------------------------------------------------------------

    def _converter_for(
        self, sample_rate: int, channels: int, encoding: Encoding
    ) -> tuple[bytes, InputConverter | PcmPassThrough]:
        """The converter for this input, and the old converter's tail when it was replaced."""
        wire = self._wire_format()
        key = (wire, sample_rate, channels, encoding)
        if key == self._key and self._converter is not None:
            return b"", self._converter
        converter: InputConverter | PcmPassThrough
        if same_pcm(encoding, wire, sample_rate, channels):
            converter = PcmPassThrough()  # already the wire's format: no numpy, no float pass
        else:
            from ..audio._convert import InputConverter  # numpy and soxr load on first conversion

            converter = InputConverter(wire, sample_rate, channels, encoding, quality=self.quality)
        carried = b""
        old = self._converter
        if old is not None and old.wire_format == wire:
            carried = old.flush()
        if self._chunker is None or self._chunk_format != wire:
            self._chunker = Chunker.for_duration(self.chunk_ms, wire)
            self._chunk_format = wire
            self._chunk_bytes_per_ms = bytes_per_ms(wire)
        self._converter, self._key = converter, key
        return carried, converter

    async def _push(self, data: bytes) -> None:
        if self._chunker is None:
            return
        for chunk in self._chunker.push(data):
            await self._emit(chunk)

    async def _emit(self, chunk: bytes) -> None:
        await self._append(chunk)
        self.sent_ms += len(chunk) / self._chunk_bytes_per_ms


def _stray(count: int, encoding: Encoding, when: str) -> str:
    name = "PCM16" if encoding == "pcm16" else encoding
    return (
        f"send_audio: the {name} byte stream ended inside a sample at {when}: {count} stray byte(s) after "
        "the last whole frame were dropped.  A stray byte shifts every sample after it into noise; give "
        "send_audio whole samples (the stream may be cut anywhere, but must add up to whole frames)"
    )
