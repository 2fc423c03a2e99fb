"""Application audio to and from a wire format (:class:`InputConverter`, :class:`OutputConverter`), and
cutting a byte stream into chunks of one duration (:class:`Chunker`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._audio_formats import (
    API_SAMPLE_RATE,
    FORMAT_ENCODING,
    FORMAT_RATE,
    G711_SAMPLE_RATE,
    AudioChunk,
    AudioFormat,
    Encoding,
    Quality,
    as_byte_view,
    check_channels,
    check_encoding,
    check_format,
    check_rate,
    chunk_bytes_for,
    to_codes,
)
from ._audio_g711 import decode_g711, encode_float
from ._audio_resample import Resampler
from .errors import AudioFormatError


def _same_g711(app_encoding: Encoding, wire_encoding: Encoding, rate: int, channels: int) -> bool:
    """Application audio that already is the wire's G.711 (8 kHz mono, same law): bytes pass unchanged."""
    return app_encoding == wire_encoding != "pcm16" and rate == G711_SAMPLE_RATE and channels == 1


def _same_pcm(app_encoding: Encoding, wire_format: AudioFormat, rate: int, channels: int) -> bool:
    """Application audio that already is the wire's PCM16 (24 kHz mono): samples pass unchanged.

    Converting would be the identity (int16 / 32768 * 32768 is exact, nothing to resample) at the cost of
    four array passes per chunk, the largest CPU cost of a session that streams audio."""
    return (
        app_encoding == "pcm16" and wire_format == "audio/pcm" and rate == API_SAMPLE_RATE and channels == 1
    )


class _WholeSamples:
    """PCM16 bytes passed through as whole samples: an odd byte at a chunk's end waits for the next one."""

    __slots__ = ("carry",)

    def __init__(self) -> None:
        self.carry = b""

    def take(self, chunk: bytes | bytearray | memoryview | NDArray[Any]) -> bytes:
        """Bytes, or an int16 array (1-D or one column), as whole little-endian samples."""
        if isinstance(chunk, np.ndarray):
            self.check_empty()
            if chunk.ndim == 2 and chunk.shape[1] != 1:
                raise AudioFormatError(
                    f"expected a (frames, 1) array, got shape {chunk.shape} ({chunk.shape[1]} channels)"
                )
            if chunk.ndim not in (1, 2):
                raise AudioFormatError(
                    f"expected a 1-D or 2-D (frames, channels) array, got {chunk.ndim}-D shape {chunk.shape}"
                )
            return chunk.astype("<i2", copy=False).tobytes()
        if type(chunk) is not bytes:
            chunk = as_byte_view(chunk).tobytes()  # a copy: the caller may reuse its buffer
        carry = self.carry
        if not carry and not len(chunk) % 2:
            return chunk
        data = carry + chunk
        usable = len(data) - len(data) % 2
        self.carry = data[usable:]
        return data[:usable]

    def check_empty(self) -> None:
        if self.carry:
            raise AudioFormatError(
                "the previous byte chunk ended inside a frame; continue with bytes, or flush/reset first"
            )


def _is_int16(chunk: object) -> bool:
    """PCM16 bytes or an int16 array: what can pass through (anything else is converted, or refused)."""
    if isinstance(chunk, bytes | bytearray | memoryview):
        return True
    return isinstance(chunk, np.ndarray) and chunk.dtype.kind == "i" and chunk.dtype.itemsize == 2


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
        same_pcm = _same_pcm(self._input_encoding, self._wire_format, self._sample_rate, self._channels)
        self._pcm = _WholeSamples() if same_pcm else None
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
            return len(self._pcm.carry)
        return self._resampler.pending_bytes

    def convert(self, chunk: AudioChunk) -> bytes:
        """Convert one chunk; returns the wire bytes that are ready (possibly empty)."""
        if self._pcm is not None:
            if _is_int16(chunk):
                return self._pcm.take(chunk)
            self._pcm.check_empty()  # a float array at the wire's rate: encoded below, nothing resampled
        if self._input_encoding in ("pcmu", "pcma"):
            if self._passthrough:
                return to_codes(chunk, "InputConverter.convert").tobytes()
            chunk = decode_g711(chunk, self._input_encoding, "InputConverter.convert")
        return encode_float(self._resampler._process_float(chunk), self._wire_encoding)

    def flush(self) -> bytes:
        """End of the input stream: return the held-back tail; the converter is then ready for reuse."""
        if self._pcm is not None:
            self._pcm.carry = b""  # a partial sample is dropped, as the resampler drops a partial frame
        return encode_float(self._resampler._flush_float(), self._wire_encoding)

    def reset(self) -> None:
        """Drop held-back audio."""
        if self._pcm is not None:
            self._pcm.carry = b""
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
        same_pcm = _same_pcm(self._out_encoding, self._wire_format, self._out_rate, self._channels)
        self._pcm = _WholeSamples() if same_pcm else None
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
            return self._pcm.take(chunk)
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
            self._pcm.carry = b""
            return b""
        return self._encode(self._resampler._flush_float())

    def reset(self) -> None:
        """Drop held-back audio (use on interruption)."""
        if self._pcm is not None:
            self._pcm.carry = b""
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


# ---------------------------------------------------------------------------------------------------------
# Chunking
# ---------------------------------------------------------------------------------------------------------


class Chunker:
    """Cut a byte stream into chunks of exactly ``chunk_bytes`` bytes, carrying the remainder over.

    ``Chunker.for_duration(20, "audio/pcm")`` makes 20 ms chunks (960 bytes). :meth:`push` returns the
    complete chunks; :meth:`flush` returns the (shorter, possibly empty) remainder and empties the buffer.
    """

    def __init__(self, chunk_bytes: int) -> None:
        if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes <= 0:
            raise AudioFormatError(f"chunk_bytes must be a positive integer, got {chunk_bytes!r}")
        self._size = chunk_bytes
        self._buffer = bytearray()

    @classmethod
    def for_duration(cls, ms: float, fmt: AudioFormat) -> Chunker:
        """A chunker for chunks of ``ms`` milliseconds of a wire format."""
        return cls(chunk_bytes_for(ms, fmt))

    @property
    def chunk_bytes(self) -> int:
        return self._size

    @property
    def pending(self) -> int:
        """Bytes waiting for a chunk to fill."""
        return len(self._buffer)

    def push(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add bytes; return every chunk that is now complete (possibly none)."""
        self._buffer += data
        size = self._size
        whole = len(self._buffer) - len(self._buffer) % size
        if not whole:
            return []
        chunks = [bytes(self._buffer[i : i + size]) for i in range(0, whole, size)]
        del self._buffer[:whole]
        return chunks

    def flush(self) -> bytes:
        """Return what is left (shorter than a chunk, possibly empty) and empty the buffer."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return rest

    def reset(self) -> None:
        """Drop what is buffered."""
        self._buffer.clear()


def iter_chunks(data: bytes | bytearray | memoryview, chunk_bytes: int) -> Iterator[bytes]:
    """Split a whole buffer into chunks of ``chunk_bytes`` bytes; the last may be shorter."""
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes <= 0:
        raise AudioFormatError(f"chunk_bytes must be a positive integer, got {chunk_bytes!r}")
    view = as_byte_view(data)
    return (bytes(view[start : start + chunk_bytes]) for start in range(0, len(view), chunk_bytes))
