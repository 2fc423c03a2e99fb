"""Application audio to and from a wire format (:class:`InputConverter`, :class:`OutputConverter`).

Cutting a byte stream into chunks (:class:`Chunker`) and the pass-through of audio already at the wire's
format live in ``_bytes`` (no numpy) and are re-exported here."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..errors import AudioFormatError
from ._bytes import PcmPassThrough, same_pcm
from ._formats import (
    FORMAT_ENCODING,
    FORMAT_RATE,
    G711_SAMPLE_RATE,
    AudioChunk,
    AudioFormat,
    Encoding,
    Quality,
    check_channels,
    check_encoding,
    check_format,
    check_rate,
    to_codes,
)
from ._g711 import decode_g711, encode_float
from ._resample import Resampler


def _same_g711(app_encoding: Encoding, wire_encoding: Encoding, rate: int, channels: int) -> bool:
    """Application audio that already is the wire's G.711 (8 kHz mono, same law): bytes pass unchanged."""
    return app_encoding == wire_encoding != "pcm16" and rate == G711_SAMPLE_RATE and channels == 1


class InputConverter:
    """Streaming conversion of application audio into a wire format.

    ``sample_rate``, ``channels`` and ``input_encoding`` describe the audio given to :meth:`convert`:
    bytes in ``input_encoding`` (``"pcm16"``, ``"float32"``, ``"pcmu"`` or ``"pcma"``, interleaved when
    ``channels > 1``), or for the linear encodings also numpy arrays (int16/float32/float64, 1-D or
    ``(frames, channels)``; an array's dtype wins over ``input_encoding``). G.711 input may also be a
    uint8 array. The result is mono wire audio at the wire format's rate.

    μ-law input at 8 kHz mono into an ``"audio/pcmu"`` session (or A-law into ``"audio/pcma"``) passes
    through unchanged, byte for byte, and so does 24 kHz mono PCM16 (bytes or an int16 array) into an
    ``"audio/pcm"`` session. Everything else is decoded, downmixed, resampled and encoded.

    Call :meth:`flush` when the input stream ends (before committing the input buffer) to get the
    resampler's held-back tail; :meth:`reset` drops it instead.
    """

    def __init__(
        self,
        wire_format: AudioFormat,
        sample_rate: int,
        channels: int = 1,
        input_encoding: Encoding = "pcm16",
        *,
        quality: Quality = "HQ",
    ) -> None:
        self._wire_format = check_format(wire_format)
        self._wire_encoding = FORMAT_ENCODING[self._wire_format]
        self._sample_rate = check_rate(sample_rate)
        self._channels = check_channels(channels)
        self._input_encoding = check_encoding(input_encoding, "input_encoding")
        self._passthrough = _same_g711(self._input_encoding, self._wire_encoding, self._sample_rate, channels)
        same = same_pcm(self._input_encoding, self._wire_format, self._sample_rate, self._channels)
        self._pcm = PcmPassThrough() if same else None
        self._resampler = Resampler(
            self._sample_rate,
            FORMAT_RATE[self._wire_format],
            channels=self._channels,
            in_dtype="float32" if self._input_encoding == "float32" else "int16",
            quality=quality,
        )

    @property
    def wire_format(self) -> AudioFormat:
        return self._wire_format

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def input_encoding(self) -> Encoding:
        return self._input_encoding

    @property
    def passthrough(self) -> bool:
        """True when input bytes are forwarded unchanged."""
        return self._passthrough or self._pcm is not None

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete frame from byte input, held until the rest of the frame arrives."""
        if self._pcm is not None:
            return self._pcm.pending_bytes
        return self._resampler.pending_bytes

    def convert(self, chunk: AudioChunk) -> bytes:
        """Convert one chunk; returns the wire bytes that are ready (possibly empty)."""
        if self._pcm is not None:
            return self._pcm.convert(chunk)
        return self._convert(chunk)

    def _convert(self, chunk: AudioChunk) -> bytes:
        if self._input_encoding in ("pcmu", "pcma"):
            if self._passthrough:
                return to_codes(chunk, "InputConverter.convert").tobytes()
            chunk = decode_g711(chunk, self._input_encoding, "InputConverter.convert")
        return encode_float(self._resampler._process_float(chunk), self._wire_encoding)

    def flush(self) -> bytes:
        """End of the input stream: return the held-back tail; the converter is then ready for reuse."""
        if self._pcm is not None:
            return self._pcm.flush()
        return encode_float(self._resampler._flush_float(), self._wire_encoding)

    def reset(self) -> None:
        """Drop held-back audio."""
        if self._pcm is not None:
            self._pcm.reset()
        self._resampler.reset()


class OutputConverter:
    """Streaming conversion of wire audio (``response.output_audio.delta`` payloads) into the
    application's format: ``out_rate`` Hz, ``out_encoding`` (``"pcm16"``, ``"float32"``, ``"pcmu"`` or
    ``"pcma"`` bytes), ``channels`` (mono wire audio is copied into each channel, interleaved).

    ``"audio/pcmu"`` wire audio to 8 kHz mono μ-law (or A-law to A-law) passes through unchanged, and so
    does ``"audio/pcm"`` wire audio to 24 kHz mono PCM16.

    Call :meth:`flush` at the end of a response (``response.output_audio.done``) to get the resampler's
    held-back tail; call :meth:`reset` when the response is interrupted, so that stale audio is dropped.
    """

    def __init__(
        self,
        wire_format: AudioFormat,
        out_rate: int,
        out_encoding: Encoding = "pcm16",
        channels: int = 1,
        *,
        quality: Quality = "HQ",
    ) -> None:
        self._wire_format = check_format(wire_format)
        self._wire_encoding = FORMAT_ENCODING[self._wire_format]
        self._out_rate = check_rate(out_rate, "out_rate")
        self._out_encoding = check_encoding(out_encoding, "out_encoding")
        self._channels = check_channels(channels)
        self._passthrough = _same_g711(self._out_encoding, self._wire_encoding, self._out_rate, channels)
        same = same_pcm(self._out_encoding, self._wire_format, self._out_rate, self._channels)
        self._pcm = PcmPassThrough() if same else None
        self._resampler = Resampler(FORMAT_RATE[self._wire_format], self._out_rate, quality=quality)

    @property
    def wire_format(self) -> AudioFormat:
        return self._wire_format

    @property
    def out_rate(self) -> int:
        return self._out_rate

    @property
    def out_encoding(self) -> Encoding:
        return self._out_encoding

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def passthrough(self) -> bool:
        """True when wire bytes are forwarded unchanged."""
        return self._passthrough or self._pcm is not None

    def _encode(self, mono: NDArray[np.float32]) -> bytes:
        if self._channels > 1:
            mono = np.repeat(mono, self._channels)  # mono in every channel, interleaved
        return encode_float(mono, self._out_encoding)

    def convert(self, chunk: bytes | bytearray | memoryview) -> bytes:
        """Convert one chunk of wire bytes; returns the output that is ready (possibly empty)."""
        if self._pcm is not None and isinstance(chunk, bytes | bytearray | memoryview):
            return self._pcm.convert(chunk)
        if self._wire_encoding != "pcm16":
            if self._passthrough:
                return to_codes(chunk, "OutputConverter.convert").tobytes()
            chunk = decode_g711(chunk, self._wire_encoding, "OutputConverter.convert")
        elif not isinstance(chunk, bytes | bytearray | memoryview):
            raise AudioFormatError(f"wire audio must be bytes, got {type(chunk).__name__}")
        return self._encode(self._resampler._process_float(chunk))

    def flush(self) -> bytes:
        """End of a response's audio: return the held-back tail; the converter is then ready for reuse."""
        if self._pcm is not None:
            return self._pcm.flush()
        return self._encode(self._resampler._flush_float())

    def reset(self) -> None:
        """Drop held-back audio (use on interruption)."""
        if self._pcm is not None:
            self._pcm.reset()
        self._resampler.reset()


def to_wire(
    data: AudioChunk,
    sample_rate: int,
    *,
    channels: int = 1,
    encoding: Encoding = "pcm16",
    wire_format: AudioFormat = "audio/pcm",
    quality: Quality = "HQ",
) -> bytes:
    """Convert a whole clip to a wire format in one go (see :class:`InputConverter`)."""
    conv = InputConverter(wire_format, sample_rate, channels, encoding, quality=quality)
    return conv.convert(data) + conv.flush()


def from_wire(
    data: bytes | bytearray | memoryview,
    wire_format: AudioFormat,
    out_rate: int,
    *,
    out_encoding: Encoding = "pcm16",
    channels: int = 1,
    quality: Quality = "HQ",
) -> bytes:
    """Convert a whole clip of wire audio in one go (see :class:`OutputConverter`)."""
    conv = OutputConverter(wire_format, out_rate, out_encoding, channels, quality=quality)
    return conv.convert(data) + conv.flush()
