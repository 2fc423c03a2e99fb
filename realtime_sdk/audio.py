"""Audio for the Realtime API: wire formats, G.711, resampling, conversion, chunking and WAV files.

Theory of operation
-------------------
The Realtime API carries audio in one of three *wire formats*, base64-encoded inside JSON events:

========================  ===========  ==============================  ============
wire format               sample rate  sample encoding                 bytes per ms
========================  ===========  ==============================  ============
``"audio/pcm"``           24 000 Hz    16-bit signed little-endian     48
``"audio/pcmu"``          8 000 Hz     G.711 μ-law, one byte a sample  8
``"audio/pcma"``          8 000 Hz     G.711 A-law, one byte a sample  8
========================  ===========  ==============================  ============

All wire audio is mono. Audio sent at the wrong rate is not rejected by the server, it is just played
or heard at the wrong speed, so every conversion here is explicit about rates.

Applications have audio in other shapes: 16 or 48 kHz microphones, stereo sound cards, float32 arrays
from numpy-based libraries, 8 kHz μ-law from a telephone line. Two streaming converters bridge the gap:

* :class:`InputConverter` turns application audio (PCM16 bytes, int16/float32/float64 arrays, 1-D or
  ``(frames, channels)``, μ-law or A-law bytes, any rate) into the session's wire format;
* :class:`OutputConverter` turns wire audio from ``response.output_audio.delta`` into what a speaker or
  a phone line wants.

Inside, every path runs through the same steps: decode to float32 samples in [-1, 1) (int16 is divided
by 32768, G.711 is expanded by table look-up), average the channels down to mono, resample with soxr
(:class:`Resampler`) and encode again (float to int16 multiplies by 32768, rounds to nearest with
``numpy.rint`` and clips; G.711 compresses by a vectorised segment search). Working in float32 matters:
soxr's int16 mode adds dither, so digital silence would come out as noise; in float32 silence stays
exactly zero. When nothing needs to change (μ-law at 8 kHz into an ``"audio/pcmu"`` session) the bytes
pass through untouched.

Resampling is streaming: each :meth:`Resampler.process` call returns what is ready, and the filter holds
back some tens of milliseconds (numbers in :class:`Resampler`). Call ``flush()`` at the end of a stream
(for example when the user stops talking, before ``input_audio_buffer.commit``) to get the held-back
tail, and ``reset()`` to throw it away (for example when the assistant is interrupted). After ``flush``
the total output length is exactly ``round(frames_in * out_rate / in_rate)`` (halves round up), and
feeding the same audio in any chunking gives bit-identical output.

Byte streams may be cut anywhere: a partial sample or frame at the end of one chunk is carried over to
the next call. Bad input (unknown format, 0 Hz rate, a 3-D array, int32 samples, ...) raises
:class:`AudioFormatError`, a :class:`ValueError`, with a message saying what was wrong.

Everything here is plain synchronous computation without I/O, except :func:`read_wav` and
:func:`write_wav`. Converters hold state and are not thread-safe: use one per stream and direction.
A 20 ms chunk takes 10 to 30 µs to convert, so conversion can run inline on an asyncio event loop.
"""

from __future__ import annotations

import io
import math
import os
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, Protocol, TypeAlias, cast, get_args

import numpy as np
import soxr  # type: ignore[import-untyped]
from numpy.typing import NDArray

from .errors import AudioFormatError

__all__ = [
    "ALAW_DECODE_TABLE",
    "API_SAMPLE_RATE",
    "AUDIO_FORMATS",
    "ENCODINGS",
    "G711_SAMPLE_RATE",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "QUALITIES",
    "ULAW_DECODE_TABLE",
    "AudioChunk",
    "AudioFormat",
    "AudioFormatError",
    "Chunker",
    "Encoding",
    "InputConverter",
    "OutputConverter",
    "Quality",
    "Resampler",
    "SampleDType",
    "WavSource",
    "alaw_decode",
    "alaw_encode",
    "bytes_per_ms",
    "bytes_per_sample",
    "bytes_to_ms",
    "bytes_to_samples",
    "chunk_bytes_for",
    "from_wire",
    "iter_chunks",
    "ms_to_bytes",
    "ms_to_samples",
    "read_wav",
    "resample",
    "sample_rate_of",
    "sample_wav_path",
    "samples_to_bytes",
    "samples_to_ms",
    "silence",
    "to_wire",
    "ulaw_decode",
    "ulaw_encode",
    "write_wav",
]

# ---------------------------------------------------------------------------------------------------------
# Formats and sizes
# ---------------------------------------------------------------------------------------------------------

API_SAMPLE_RATE: Final = 24000
"""Sample rate of ``"audio/pcm"``, the API's PCM format."""

G711_SAMPLE_RATE: Final = 8000
"""Sample rate of the G.711 formats ``"audio/pcmu"`` and ``"audio/pcma"``."""

AudioFormat: TypeAlias = Literal["audio/pcm", "audio/pcmu", "audio/pcma"]
"""A wire format of the Realtime API."""

Encoding: TypeAlias = Literal["pcm16", "float32", "pcmu", "pcma"]
"""How samples are stored in application audio: 16-bit little-endian PCM, 32-bit little-endian float
in [-1, 1], G.711 μ-law or G.711 A-law (one byte a sample)."""

SampleDType: TypeAlias = Literal["int16", "float32"]
"""Sample type of linear PCM bytes: little-endian int16 or little-endian float32."""

Quality: TypeAlias = Literal["VHQ", "HQ", "MQ", "LQ"]
"""soxr resampling quality. soxr's "QQ" is deliberately not offered: it does not anti-alias."""

AudioChunk: TypeAlias = bytes | bytearray | memoryview | NDArray[Any]
"""A piece of audio: raw bytes in a declared encoding, or a numpy array (1-D or ``(frames, channels)``)."""

AUDIO_FORMATS: Final[tuple[AudioFormat, ...]] = get_args(AudioFormat)
ENCODINGS: Final[tuple[Encoding, ...]] = get_args(Encoding)
QUALITIES: Final[tuple[Quality, ...]] = get_args(Quality)

MIN_SAMPLE_RATE: Final = 1000
MAX_SAMPLE_RATE: Final = 768000
MAX_CHANNELS: Final = 64

_FORMAT_RATE: Final[dict[str, int]] = {
    "audio/pcm": API_SAMPLE_RATE,
    "audio/pcmu": G711_SAMPLE_RATE,
    "audio/pcma": G711_SAMPLE_RATE,
}
_FORMAT_SAMPLE_BYTES: Final[dict[str, int]] = {"audio/pcm": 2, "audio/pcmu": 1, "audio/pcma": 1}
_FORMAT_ENCODING: Final[dict[str, Encoding]] = {
    "audio/pcm": "pcm16",
    "audio/pcmu": "pcmu",
    "audio/pcma": "pcma",
}
_ENCODING_SAMPLE_BYTES: Final[dict[str, int]] = {"pcm16": 2, "float32": 4, "pcmu": 1, "pcma": 1}


def _check_format(fmt: str) -> AudioFormat:
    if fmt not in _FORMAT_RATE:
        raise AudioFormatError(f"unknown audio format {fmt!r}; expected one of {', '.join(AUDIO_FORMATS)}")
    return cast(AudioFormat, fmt)


def _check_encoding(encoding: str, what: str = "encoding") -> Encoding:
    if encoding not in _ENCODING_SAMPLE_BYTES:
        raise AudioFormatError(f"unknown {what} {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    return cast(Encoding, encoding)


def _check_rate(rate: object, what: str = "sample rate") -> int:
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer):
        raise AudioFormatError(f"{what} must be an integer number of Hz, got {rate!r}")
    value = int(rate)
    if not MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE:
        raise AudioFormatError(f"{what} {value} Hz is out of range ({MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz)")
    return value


def _check_channels(channels: object) -> int:
    if isinstance(channels, bool) or not isinstance(channels, int | np.integer):
        raise AudioFormatError(f"channels must be an integer, got {channels!r}")
    value = int(channels)
    if not 1 <= value <= MAX_CHANNELS:
        raise AudioFormatError(f"channels must be between 1 and {MAX_CHANNELS}, got {value}")
    return value


def _check_quality(quality: str) -> Quality:
    if quality not in QUALITIES:
        hint = " (QQ does not anti-alias and is not offered)" if quality == "QQ" else ""
        raise AudioFormatError(f"unknown quality {quality!r}; expected one of {', '.join(QUALITIES)}{hint}")
    return quality


def _check_duration(ms: float) -> float:
    if isinstance(ms, bool) or not isinstance(ms, int | float) or not math.isfinite(ms) or ms < 0:
        raise AudioFormatError(f"duration must be a finite number of milliseconds >= 0, got {ms!r}")
    return ms


def sample_rate_of(fmt: AudioFormat) -> int:
    """Sample rate of a wire format: 24000 for ``"audio/pcm"``, 8000 for the G.711 formats."""
    return _FORMAT_RATE[_check_format(fmt)]


def bytes_per_sample(fmt: AudioFormat) -> int:
    """Bytes in one (mono) sample of a wire format: 2 for ``"audio/pcm"``, 1 for G.711."""
    return _FORMAT_SAMPLE_BYTES[_check_format(fmt)]


def bytes_per_ms(fmt: AudioFormat) -> int:
    """Bytes per millisecond of a wire format: 48 for ``"audio/pcm"``, 8 for G.711."""
    return sample_rate_of(fmt) // 1000 * bytes_per_sample(fmt)


def ms_to_samples(ms: float, sample_rate: int) -> int:
    """Whole samples in ``ms`` milliseconds at ``sample_rate``, rounded down.

    Integer ``ms`` is computed exactly; float ``ms`` tolerates binary rounding (``20.000000000000004``
    and ``19.999999999999996`` both give 20 ms worth)."""
    ms = _check_duration(ms)
    rate = _check_rate(sample_rate)
    if isinstance(ms, int):
        return ms * rate // 1000
    return math.floor(ms * rate / 1000 + 1e-9)


def samples_to_ms(n: int, sample_rate: int) -> float:
    """Duration in milliseconds (a float, not rounded) of ``n`` samples at ``sample_rate``."""
    return n * 1000 / _check_rate(sample_rate)


def ms_to_bytes(ms: float, fmt: AudioFormat) -> int:
    """Bytes in ``ms`` milliseconds of a wire format, rounded down to whole samples."""
    return ms_to_samples(ms, sample_rate_of(fmt)) * bytes_per_sample(fmt)


def bytes_to_samples(n: int, fmt: AudioFormat) -> int:
    """Whole samples in ``n`` bytes of a wire format (a trailing partial sample is not counted)."""
    return n // bytes_per_sample(fmt)


def samples_to_bytes(n: int, fmt: AudioFormat) -> int:
    """Bytes taken by ``n`` samples of a wire format."""
    return n * bytes_per_sample(fmt)


def bytes_to_ms(n: int, fmt: AudioFormat) -> float:
    """Duration in milliseconds of ``n`` bytes of a wire format, as a float (not rounded).

    ``bytes_to_ms(4800, "audio/pcm") == 100.0``; ``bytes_to_ms(100, "audio/pcm") == 2.0833...``.
    The API's millisecond fields are integers: for ``conversation.item.truncate``'s ``audio_end_ms`` use
    ``int(bytes_to_ms(played, fmt))`` (rounding down), so as never to claim audio that was not received."""
    return n / bytes_per_ms(fmt)


def chunk_bytes_for(ms: float, fmt: AudioFormat) -> int:
    """Bytes in a chunk of ``ms`` milliseconds of a wire format (whole samples, at least one sample)."""
    n = ms_to_bytes(ms, fmt)
    if n <= 0:
        raise AudioFormatError(f"a chunk of {ms} ms of {fmt} holds no whole sample")
    return n


_SILENCE_BYTE: Final[dict[str, bytes]] = {"audio/pcm": b"\x00", "audio/pcmu": b"\xff", "audio/pcma": b"\xd5"}


def silence(ms: float, fmt: AudioFormat) -> bytes:
    """``ms`` milliseconds of digital silence in a wire format (zero bytes for PCM, 0xFF for μ-law,
    0xD5 for A-law: G.711 silence is not a zero byte)."""
    return _SILENCE_BYTE[_check_format(fmt)] * ms_to_bytes(ms, fmt)


# ---------------------------------------------------------------------------------------------------------
# Sample conversion helpers
# ---------------------------------------------------------------------------------------------------------

_INT16_SCALE: Final = 32768.0


def _as_byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    return view


def _float_to_int16(x: NDArray[np.floating[Any]]) -> NDArray[np.int16]:
    """Scale by 32768, round to nearest (``numpy.rint``), clip to the int16 range. NaN becomes 0."""
    scaled = np.rint(np.multiply(x, _INT16_SCALE))
    if not np.isfinite(scaled).all():
        scaled = np.nan_to_num(scaled, nan=0.0, posinf=32767.0, neginf=-32768.0)
    result: NDArray[np.int16] = np.clip(scaled, -32768.0, 32767.0).astype(np.int16)
    return result


def _int16_to_float(x: NDArray[np.integer[Any]]) -> NDArray[np.float32]:
    return (x.astype(np.float32) / np.float32(_INT16_SCALE)).astype(np.float32, copy=False)


def _sanitize_float(x: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    f = x.astype(np.float32, copy=False)
    if not np.isfinite(f).all():
        f = np.nan_to_num(f, nan=0.0, posinf=1.0, neginf=-1.0)
    return f


def _array_to_float(arr: NDArray[Any]) -> NDArray[np.float32]:
    """int16 or floating array (any shape) to float32 in [-1, 1)."""
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "i" and size == 2:
        return _int16_to_float(arr)
    if kind == "f":
        return _sanitize_float(arr)
    raise AudioFormatError(
        f"unsupported sample dtype {arr.dtype}; use int16 PCM or float32/float64 in [-1, 1]"
    )


def _to_int16_array(pcm16: AudioChunk, what: str) -> NDArray[np.int16]:
    """PCM16 little-endian bytes, or an int16/float array of any layout (flattened in C order)."""
    if isinstance(pcm16, np.ndarray):
        if pcm16.ndim > 2:
            raise AudioFormatError(f"{what}: expected a 1-D or 2-D array, got shape {pcm16.shape}")
        kind, size = pcm16.dtype.kind, pcm16.dtype.itemsize
        if kind == "i" and size == 2:
            return pcm16.astype(np.int16, copy=False).reshape(-1)
        if kind == "f":
            return _float_to_int16(pcm16).reshape(-1)
        raise AudioFormatError(f"{what}: unsupported dtype {pcm16.dtype}; expected int16 or float")
    if not isinstance(pcm16, bytes | bytearray | memoryview):
        raise AudioFormatError(f"{what}: expected bytes or a numpy array, got {type(pcm16).__name__}")
    view = _as_byte_view(pcm16)
    if len(view) % 2:
        raise AudioFormatError(f"{what}: PCM16 data must have an even number of bytes, got {len(view)}")
    return np.frombuffer(view, dtype="<i2").astype(np.int16)


def _to_codes(data: AudioChunk, what: str) -> NDArray[np.uint8]:
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise AudioFormatError(f"{what}: G.711 codes must be bytes or a uint8 array, got {data.dtype}")
        return data.reshape(-1)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise AudioFormatError(f"{what}: expected bytes or a uint8 array, got {type(data).__name__}")
    return np.frombuffer(_as_byte_view(data), dtype=np.uint8)


# ---------------------------------------------------------------------------------------------------------
# G.711 (ITU-T G.711, following the bit-exact rules of the ITU-T G.191 software tools library)
# ---------------------------------------------------------------------------------------------------------
#
# μ-law works on 14-bit magnitudes (PCM16 >> 2), adds a bias of 33 and codes the position of the leading
# one (segment, 3 bits) and the next four bits (step, 4 bits); all bits are inverted and bit 7 is set for
# non-negative samples. Decoding returns the middle of the quantisation interval, so values run from 0 to
# ±8031 in 14-bit units, ±32124 in PCM16 terms. Codes 0xFF and 0x7F both decode to 0 ("negative zero").
#
# A-law works on 12-bit magnitudes (PCM16 >> 4): segment 0 and 1 are linear with step 1, each further
# segment doubles the step; the even bits are toggled (XOR 0x55) and bit 7 is set for non-negative samples.
# Decoded values run from ±8 to ±32256 in PCM16 terms; there is no zero code.
#
# Negative samples use the one's complement (~x) before shifting, as in the reference implementation, so
# -1 lands in the smallest negative interval instead of being rounded to zero by the shift.

_ULAW_SEGMENT_STARTS: Final = np.array([64, 128, 256, 512, 1024, 2048, 4096], dtype=np.int32)
_ALAW_SEGMENT_STARTS: Final = np.array([16, 32, 64, 128, 256, 512, 1024], dtype=np.int32)


def _magnitudes(x: NDArray[np.int16]) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
    wide = x.astype(np.int32)
    negative = wide < 0
    return np.where(negative, ~wide, wide), negative


def _ulaw_compress(x: NDArray[np.int16]) -> NDArray[np.uint8]:
    magnitude, negative = _magnitudes(x)
    biased = np.minimum((magnitude >> 2) + 33, 0x1FFF)
    segment = np.searchsorted(_ULAW_SEGMENT_STARTS, biased, side="right").astype(np.int32)  # 0..7
    step = (biased >> (segment + 1)) & 0xF
    code = ((7 - segment) << 4) | (15 - step)
    code = np.where(negative, code, code | 0x80)
    result: NDArray[np.uint8] = code.astype(np.uint8)
    return result


def _alaw_compress(x: NDArray[np.int16]) -> NDArray[np.uint8]:
    magnitude, negative = _magnitudes(x)
    ix = magnitude >> 4  # 0..2047
    segment = np.searchsorted(_ALAW_SEGMENT_STARTS, ix, side="right").astype(np.int32)  # 0..7
    step = (ix >> np.maximum(segment - 1, 0)) & 0xF
    code = (segment << 4) | step
    code = np.where(negative, code, code | 0x80)
    return (code ^ 0x55).astype(np.uint8)


def _ulaw_expand_table() -> NDArray[np.int16]:
    codes = np.arange(256, dtype=np.int32)
    inverted = ~codes & 0xFF
    exponent = (inverted >> 4) & 0x7
    mantissa = inverted & 0xF
    step = 8 << exponent  # 4 << (exponent + 1): one quantisation step in PCM16 units
    magnitude = (128 << exponent) + step * mantissa + step // 2 - 4 * 33
    table = np.where(codes < 0x80, -magnitude, magnitude).astype(np.int16)
    table.flags.writeable = False
    return table


def _alaw_expand_table() -> NDArray[np.int16]:
    codes = np.arange(256, dtype=np.int32)
    toggled = (codes ^ 0x55) & 0x7F
    exponent = toggled >> 4
    mantissa = toggled & 0xF
    mantissa = np.where(exponent > 0, mantissa + 16, mantissa)
    magnitude = ((mantissa << 4) + 8) << np.maximum(exponent - 1, 0)
    table: NDArray[np.int16] = np.where(codes > 0x7F, magnitude, -magnitude).astype(np.int16)
    table.flags.writeable = False
    return table


ULAW_DECODE_TABLE: Final[NDArray[np.int16]] = _ulaw_expand_table()
"""PCM16 value of each μ-law code (index = code byte). Read-only."""

ALAW_DECODE_TABLE: Final[NDArray[np.int16]] = _alaw_expand_table()
"""PCM16 value of each A-law code (index = code byte). Read-only."""


def ulaw_encode(pcm16: AudioChunk) -> bytes:
    """Compress PCM16 to G.711 μ-law, one byte a sample.

    ``pcm16`` is little-endian int16 bytes (an odd byte count raises :class:`AudioFormatError`) or a
    numpy array: int16, or float in [-1, 1] (converted to int16 first). Arrays are flattened in C order,
    so interleaved multichannel audio stays interleaved. The sample rate is not changed."""
    return _ulaw_compress(_to_int16_array(pcm16, "ulaw_encode")).tobytes()


def ulaw_decode(data: AudioChunk) -> bytes:
    """Expand G.711 μ-law bytes (or a uint8 array) to PCM16 little-endian bytes."""
    return ULAW_DECODE_TABLE[_to_codes(data, "ulaw_decode")].astype("<i2").tobytes()


def alaw_encode(pcm16: AudioChunk) -> bytes:
    """Compress PCM16 to G.711 A-law, one byte a sample. Input as for :func:`ulaw_encode`."""
    return _alaw_compress(_to_int16_array(pcm16, "alaw_encode")).tobytes()


def alaw_decode(data: AudioChunk) -> bytes:
    """Expand G.711 A-law bytes (or a uint8 array) to PCM16 little-endian bytes."""
    return ALAW_DECODE_TABLE[_to_codes(data, "alaw_decode")].astype("<i2").tobytes()


def _encode_float(x: NDArray[np.float32], encoding: Encoding) -> bytes:
    """float32 samples (already interleaved) to bytes in ``encoding``."""
    if encoding == "float32":
        return x.astype("<f4", copy=False).tobytes()
    pcm = _float_to_int16(x)
    if encoding == "pcm16":
        return pcm.astype("<i2", copy=False).tobytes()
    if encoding == "pcmu":
        return _ulaw_compress(pcm).tobytes()
    return _alaw_compress(pcm).tobytes()


# ---------------------------------------------------------------------------------------------------------
# Resampling
# ---------------------------------------------------------------------------------------------------------


class _SoxrStream(Protocol):
    def resample_chunk(self, x: NDArray[np.float32], last: bool = False) -> NDArray[np.float32]: ...

    def clear(self) -> None: ...


_EMPTY_F32: Final[NDArray[np.float32]] = np.zeros(0, dtype=np.float32)


class Resampler:
    """Streaming sample-rate converter (soxr in float32), with dtype and channel handling around it.

    ``process(chunk)`` accepts little-endian bytes in ``in_dtype`` (int16 or float32), interleaved when
    ``channels > 1``, or a numpy array: 1-D (mono, or interleaved when ``channels > 1``) or 2-D
    ``(frames, channels)``; arrays may be int16 or float32/float64 whatever ``in_dtype`` says. Several
    channels are averaged to mono before resampling: the output is always mono, as int16 little-endian
    bytes (``out_dtype="int16"``: scaled by 32768, rounded to nearest, clipped) or float32 little-endian
    bytes (``out_dtype="float32"``: not clipped; resampling may overshoot ±1 slightly).

    A byte chunk that ends inside a sample or frame keeps the partial bytes for the next call. ``flush()``
    returns the held-back tail (and drops a still-incomplete frame); afterwards the resampler starts
    afresh, ready for the next stream. ``reset()`` drops everything held back without returning it.
    With ``in_rate == out_rate`` nothing is resampled and nothing is held back, but dtype and channel
    conversion still apply.

    Total output after ``flush()`` is exactly ``round(frames_in * out_rate / in_rate)`` frames (halves
    rounded up; soxr itself is sometimes one short on exact halves, which ``flush`` pads with a zero).
    Streaming output is bit-identical whatever the chunking.

    Latency: soxr emits output in bursts and holds back input until its filter has enough look-ahead.
    Measured held-back audio (expected output so far minus output delivered, in ms; soxr 1.1.0,
    libsoxr 0.1.3, chunks of 5 to 40 ms, steady state; independent of chunk size):

    ========  ======================  ======================  ======================
    quality   16 kHz -> 24 kHz        48 kHz -> 24 kHz        8 kHz <-> 24 kHz
              max / mean              max / mean              max / mean
    ========  ======================  ======================  ======================
    ``VHQ``   76 / 42 ms              37 / 21 ms              153 / 85 ms
    ``HQ``    37 / 21 ms              38 / 21 ms              73 / 43 ms
    ``MQ``    38 / 21 ms              39 / 21 ms              75 / 43 ms
    ``LQ``    20 / 11 ms              20 / 11 ms              40 / 23 ms
    ========  ======================  ======================  ======================

    The reverse directions measure the same (24 -> 48 kHz as 48 -> 24 kHz, 24 -> 8 kHz as 8 -> 24 kHz).
    ``HQ`` (the default) is transparent for speech; ``LQ`` halves the delay and still anti-aliases (over
    140 dB against a 15 kHz tone going from 48 to 24 kHz), a good choice for low-latency microphone paths;
    ``VHQ`` doubles the delay at low input rates for no audible gain on speech.

    soxr's ``"QQ"`` (quick, almost no delay) is not offered: it has no anti-aliasing filter, so
    downsampling a microphone with it folds everything above the new Nyquist frequency back into the
    speech band (a 15 kHz tone at 48 kHz comes out at 9 kHz, at full level, when going to 24 kHz).

    One instance per stream and direction; not thread-safe.
    """

    def __init__(
        self,
        in_rate: int,
        out_rate: int,
        *,
        channels: int = 1,
        in_dtype: SampleDType = "int16",
        out_dtype: SampleDType = "int16",
        quality: Quality = "HQ",
    ) -> None:
        self._in_rate = _check_rate(in_rate, "in_rate")
        self._out_rate = _check_rate(out_rate, "out_rate")
        self._channels = _check_channels(channels)
        if in_dtype not in ("int16", "float32"):
            raise AudioFormatError(f"in_dtype must be 'int16' or 'float32', got {in_dtype!r}")
        if out_dtype not in ("int16", "float32"):
            raise AudioFormatError(f"out_dtype must be 'int16' or 'float32', got {out_dtype!r}")
        self._in_dtype: SampleDType = in_dtype
        self._out_dtype: SampleDType = out_dtype
        self._out_encoding: Encoding = "pcm16" if out_dtype == "int16" else "float32"
        self._quality = _check_quality(quality)
        self._wire_dtype = "<i2" if in_dtype == "int16" else "<f4"
        self._frame_bytes = self._channels * (2 if in_dtype == "int16" else 4)
        self._carry = b""
        self._frames_in = 0
        self._frames_out = 0
        self._stream: _SoxrStream | None = None
        if self._in_rate != self._out_rate:
            self._stream = soxr.ResampleStream(
                self._in_rate, self._out_rate, 1, dtype="float32", quality=self._quality
            )

    @property
    def in_rate(self) -> int:
        return self._in_rate

    @property
    def out_rate(self) -> int:
        return self._out_rate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def quality(self) -> Quality:
        return self._quality

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete input frame waiting for the rest of the frame."""
        return len(self._carry)

    def process(self, chunk: AudioChunk) -> bytes:
        """Resample one chunk; returns the output that is ready (possibly empty)."""
        return _encode_float(self._process_float(chunk), self._out_encoding)

    def flush(self) -> bytes:
        """End the stream: return the held-back tail and start afresh (ready for reuse)."""
        return _encode_float(self._flush_float(), self._out_encoding)

    def reset(self) -> None:
        """Drop held-back audio and any partial frame, and start afresh."""
        self._carry = b""
        self._frames_in = 0
        self._frames_out = 0
        if self._stream is not None:
            self._stream.clear()

    # -- float32 mono interface, shared with the converters --

    def _mono_float(self, chunk: AudioChunk) -> NDArray[np.float32]:
        channels = self._channels
        if isinstance(chunk, np.ndarray):
            if self._carry:
                raise AudioFormatError(
                    "the previous byte chunk ended inside a frame; continue with bytes, or flush/reset first"
                )
            if chunk.ndim == 1:
                if chunk.size % channels:
                    raise AudioFormatError(
                        f"a 1-D array with {channels} channels must hold whole interleaved frames; "
                        f"got {chunk.size} samples"
                    )
                frames = _array_to_float(chunk).reshape(-1, channels)
            elif chunk.ndim == 2:
                if chunk.shape[1] != channels:
                    raise AudioFormatError(
                        f"expected a (frames, {channels}) array, got shape {chunk.shape} "
                        f"({chunk.shape[1]} channels)"
                    )
                frames = _array_to_float(chunk)
            else:
                raise AudioFormatError(
                    f"expected a 1-D or 2-D (frames, channels) array, got {chunk.ndim}-D shape {chunk.shape}"
                )
        elif isinstance(chunk, bytes | bytearray | memoryview):
            view = _as_byte_view(chunk)
            if self._carry:
                data: bytes | memoryview = self._carry + bytes(view)
            else:
                data = view
            usable = len(data) - len(data) % self._frame_bytes
            self._carry = bytes(data[usable:])
            samples = np.frombuffer(data[:usable], dtype=self._wire_dtype)
            if self._in_dtype == "int16":
                flat = _int16_to_float(samples)
            else:
                flat = _sanitize_float(samples)
            frames = flat.reshape(-1, channels)
        else:
            raise AudioFormatError(f"expected bytes or a numpy array, got {type(chunk).__name__}")
        if channels == 1:
            return np.ascontiguousarray(frames.reshape(-1), dtype=np.float32)
        return np.ascontiguousarray(frames.mean(axis=1, dtype=np.float32), dtype=np.float32)

    def _process_float(self, chunk: AudioChunk) -> NDArray[np.float32]:
        mono = self._mono_float(chunk)
        if self._stream is None:
            return mono
        self._frames_in += mono.size
        out = self._stream.resample_chunk(mono)
        self._frames_out += out.size
        return out

    def _flush_float(self) -> NDArray[np.float32]:
        self._carry = b""
        if self._stream is None:
            return _EMPTY_F32
        tail = self._stream.resample_chunk(_EMPTY_F32, last=True)
        # round(frames_in * out / in), halves up, in exact integer arithmetic
        target = (2 * self._frames_in * self._out_rate + self._in_rate) // (2 * self._in_rate)
        produced = self._frames_out + tail.size
        if produced < target:
            tail = np.concatenate([tail, np.zeros(target - produced, dtype=np.float32)])
        elif produced > target:
            tail = tail[: max(tail.size - (produced - target), 0)]
        self.reset()
        return tail


def resample(
    data: AudioChunk,
    in_rate: int,
    out_rate: int,
    *,
    channels: int = 1,
    in_dtype: SampleDType = "int16",
    out_dtype: SampleDType = "int16",
    quality: Quality = "HQ",
) -> bytes:
    """Resample a whole clip in one go (see :class:`Resampler`); returns mono bytes in ``out_dtype``."""
    r = Resampler(
        in_rate, out_rate, channels=channels, in_dtype=in_dtype, out_dtype=out_dtype, quality=quality
    )
    return r.process(data) + r.flush()


# ---------------------------------------------------------------------------------------------------------
# Converters: application audio <-> wire format
# ---------------------------------------------------------------------------------------------------------


def _decode_g711(chunk: AudioChunk, encoding: Encoding, what: str) -> bytes:
    codes = _to_codes(chunk, what)
    table = ULAW_DECODE_TABLE if encoding == "pcmu" else ALAW_DECODE_TABLE
    return table[codes].astype("<i2").tobytes()


class InputConverter:
    """Streaming conversion of application audio into a wire format.

    ``sample_rate``, ``channels`` and ``input_encoding`` describe the audio given to :meth:`convert`:
    bytes in ``input_encoding`` (``"pcm16"``, ``"float32"``, ``"pcmu"`` or ``"pcma"``, interleaved when
    ``channels > 1``), or for the linear encodings also numpy arrays (int16/float32/float64, 1-D or
    ``(frames, channels)``; an array's dtype wins over ``input_encoding``). G.711 input may also be a
    uint8 array. The result is mono wire audio at the wire format's rate.

    μ-law input at 8 kHz mono into an ``"audio/pcmu"`` session (or A-law into ``"audio/pcma"``) passes
    through unchanged, byte for byte. Everything else is decoded, downmixed, resampled and encoded.

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
        self._wire_format = _check_format(wire_format)
        self._wire_encoding = _FORMAT_ENCODING[self._wire_format]
        self._sample_rate = _check_rate(sample_rate)
        self._channels = _check_channels(channels)
        self._input_encoding = _check_encoding(input_encoding, "input_encoding")
        self._passthrough = (
            self._input_encoding == self._wire_encoding
            and self._input_encoding in ("pcmu", "pcma")
            and self._sample_rate == G711_SAMPLE_RATE
            and self._channels == 1
        )
        self._resampler = Resampler(
            self._sample_rate,
            _FORMAT_RATE[self._wire_format],
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
        return self._passthrough

    def convert(self, chunk: AudioChunk) -> bytes:
        """Convert one chunk; returns the wire bytes that are ready (possibly empty)."""
        if self._input_encoding in ("pcmu", "pcma"):
            if self._passthrough:
                return _to_codes(chunk, "InputConverter.convert").tobytes()
            chunk = _decode_g711(chunk, self._input_encoding, "InputConverter.convert")
        return _encode_float(self._resampler._process_float(chunk), self._wire_encoding)

    def flush(self) -> bytes:
        """End of the input stream: return the held-back tail; the converter is then ready for reuse."""
        return _encode_float(self._resampler._flush_float(), self._wire_encoding)

    def reset(self) -> None:
        """Drop held-back audio."""
        self._resampler.reset()


class OutputConverter:
    """Streaming conversion of wire audio (``response.output_audio.delta`` payloads) into the
    application's format: ``out_rate`` Hz, ``out_encoding`` (``"pcm16"``, ``"float32"``, ``"pcmu"`` or
    ``"pcma"`` bytes), ``channels`` (mono wire audio is copied into each channel, interleaved).

    ``"audio/pcmu"`` wire audio to 8 kHz mono μ-law (or A-law to A-law) passes through unchanged.

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
        self._wire_format = _check_format(wire_format)
        self._wire_encoding = _FORMAT_ENCODING[self._wire_format]
        self._out_rate = _check_rate(out_rate, "out_rate")
        self._out_encoding = _check_encoding(out_encoding, "out_encoding")
        self._channels = _check_channels(channels)
        self._passthrough = (
            self._out_encoding == self._wire_encoding
            and self._out_encoding in ("pcmu", "pcma")
            and self._out_rate == G711_SAMPLE_RATE
            and self._channels == 1
        )
        self._resampler = Resampler(_FORMAT_RATE[self._wire_format], self._out_rate, quality=quality)

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
        return self._passthrough

    def _encode(self, mono: NDArray[np.float32]) -> bytes:
        if self._channels > 1:
            mono = np.repeat(mono, self._channels)
        return _encode_float(mono, self._out_encoding)

    def convert(self, chunk: bytes | bytearray | memoryview) -> bytes:
        """Convert one chunk of wire bytes; returns the output that is ready (possibly empty)."""
        if self._wire_encoding != "pcm16":
            if self._passthrough:
                return _to_codes(chunk, "OutputConverter.convert").tobytes()
            chunk = _decode_g711(chunk, self._wire_encoding, "OutputConverter.convert")
        elif not isinstance(chunk, bytes | bytearray | memoryview):
            raise AudioFormatError(f"wire audio must be bytes, got {type(chunk).__name__}")
        return self._encode(self._resampler._process_float(chunk))

    def flush(self) -> bytes:
        """End of a response's audio: return the held-back tail; the converter is then ready for reuse."""
        return self._encode(self._resampler._flush_float())

    def reset(self) -> None:
        """Drop held-back audio (use on interruption)."""
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
    view = _as_byte_view(data)
    return (bytes(view[start : start + chunk_bytes]) for start in range(0, len(view), chunk_bytes))


# ---------------------------------------------------------------------------------------------------------
# WAV files
# ---------------------------------------------------------------------------------------------------------

_WAVE_FORMAT_PCM: Final = 0x0001
_WAVE_FORMAT_IEEE_FLOAT: Final = 0x0003
_WAVE_FORMAT_ALAW: Final = 0x0006
_WAVE_FORMAT_MULAW: Final = 0x0007
_WAVE_FORMAT_EXTENSIBLE: Final = 0xFFFE
_WAVE_FORMAT_NAMES: Final[dict[int, str]] = {
    0x0002: "Microsoft ADPCM",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MP3",
}

WavSource: TypeAlias = str | os.PathLike[str] | BinaryIO


def sample_wav_path() -> Path:
    """Path of the bundled sample: about 3.4 s of synthetic speech ("Hello! What is the weather like in
    Paris today?"), 16 kHz mono PCM16 (deliberately not the API's 24 kHz)."""
    return Path(__file__).parent / "data" / "hello.wav"


def _pcm_to_int16(raw: bytes, width: int) -> NDArray[np.int16]:
    """Little-endian integer PCM of ``width`` bytes a sample to int16 (rounded to nearest, halves up)."""
    if width == 1:  # 8-bit WAV is unsigned, 128 = zero
        return ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2].astype(np.int8).astype(np.int32) << 16)
        result24: NDArray[np.int16] = np.minimum((value + 128) >> 8, 32767).astype(np.int16)
        return result24
    if width == 4:
        value64 = np.frombuffer(raw, dtype="<i4").astype(np.int64)
        result32: NDArray[np.int16] = np.minimum((value64 + 32768) >> 16, 32767).astype(np.int16)
        return result32
    raise AudioFormatError(f"unsupported WAV sample width: {8 * width} bits (8, 16, 24 and 32 are supported)")


def _parse_riff(f: BinaryIO) -> tuple[int, int, int, int, bytes]:
    """Minimal RIFF/WAVE reader for what ``wave`` rejects: returns (format tag, channels, rate, bits,
    data). WAVE_FORMAT_EXTENSIBLE is resolved to its sub-format tag."""
    header = f.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise AudioFormatError("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int] | None = None
    while True:
        chunk_header = f.read(8)
        if len(chunk_header) < 8:
            raise AudioFormatError("WAV file has no data chunk" if fmt else "WAV file has no fmt chunk")
        chunk_id, size = chunk_header[:4], struct.unpack("<I", chunk_header[4:])[0]
        if chunk_id == b"fmt ":
            body = f.read(size + (size & 1))
            if size < 16:
                raise AudioFormatError("WAV fmt chunk is too short")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == _WAVE_FORMAT_EXTENSIBLE:
                if size < 40:
                    raise AudioFormatError("WAVE_FORMAT_EXTENSIBLE fmt chunk is too short")
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFormatError("WAV data chunk comes before the fmt chunk")
            data = f.read(size)  # a truncated file yields what is there
            return (*fmt, data)
        else:
            f.read(size + (size & 1))


def _decode_wav_samples(tag: int, bits: int, data: bytes) -> NDArray[np.int16]:
    if tag == _WAVE_FORMAT_PCM:
        if bits % 8 or not 8 <= bits <= 32:
            raise AudioFormatError(
                f"unsupported WAV PCM sample size: {bits} bits (8, 16, 24 or 32 supported)"
            )
        width = bits // 8
        return _pcm_to_int16(data[: len(data) - len(data) % width], width)
    if tag == _WAVE_FORMAT_IEEE_FLOAT:
        if bits not in (32, 64):
            raise AudioFormatError(f"unsupported WAV float sample size: {bits} bits (32 or 64 supported)")
        width = bits // 8
        floats = np.frombuffer(data[: len(data) - len(data) % width], dtype="<f4" if bits == 32 else "<f8")
        return _float_to_int16(floats)
    if tag in (_WAVE_FORMAT_MULAW, _WAVE_FORMAT_ALAW):
        if bits != 8:
            raise AudioFormatError(f"unsupported G.711 WAV sample size: {bits} bits (8 expected)")
        table = ULAW_DECODE_TABLE if tag == _WAVE_FORMAT_MULAW else ALAW_DECODE_TABLE
        return table[np.frombuffer(data, dtype=np.uint8)]
    name = _WAVE_FORMAT_NAMES.get(tag, "unknown")
    raise AudioFormatError(
        f"unsupported WAV encoding: format tag 0x{tag:04X} ({name}); "
        "supported are integer PCM, IEEE float, μ-law and A-law"
    )


def _read_wav_file(f: BinaryIO) -> tuple[bytes, int, int]:
    start = f.tell() if f.seekable() else None
    try:
        with wave.open(f, "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        # The stdlib reader handles only WAVE_FORMAT_PCM (and, before Python 3.12, not even that when
        # written as WAVE_FORMAT_EXTENSIBLE). Look at the header ourselves.
        if start is None:
            raise AudioFormatError(f"cannot read WAV data: {exc}") from exc
        f.seek(start)
        tag, channels, rate, bits, data = _parse_riff(f)
        samples = _decode_wav_samples(tag, bits, data)
    else:
        samples = _pcm_to_int16(raw, width)
    if channels < 1:
        raise AudioFormatError(f"WAV file declares {channels} channels")
    if rate <= 0:
        raise AudioFormatError(f"WAV file declares a sample rate of {rate} Hz")
    samples = samples[: samples.size - samples.size % channels]
    return samples.astype("<i2", copy=False).tobytes(), rate, channels


def read_wav(source: WavSource) -> tuple[bytes, int, int]:
    """Read a WAV file: returns ``(pcm16_bytes, sample_rate, channels)``, samples interleaved.

    Integer PCM of 8 bits (unsigned), 16, 24 and 32 bits is converted to 16-bit (rounded to nearest);
    IEEE float (32/64-bit), G.711 μ-law and A-law WAVs are decoded to PCM16 as well, also when written as
    WAVE_FORMAT_EXTENSIBLE. Anything else (ADPCM, MP3, ...) raises :class:`AudioFormatError`.
    ``source`` is a path or a binary file object."""
    if isinstance(source, str | os.PathLike):
        with open(os.fspath(source), "rb") as f:
            return _read_wav_file(f)
    return _read_wav_file(source)


def write_wav(
    dest: WavSource,
    pcm16: bytes | bytearray | memoryview | NDArray[Any],
    sample_rate: int,
    channels: int = 1,
) -> None:
    """Write 16-bit PCM (little-endian bytes, interleaved; or an int16/float array, 1-D interleaved or
    ``(frames, channels)``) to a WAV file. ``dest`` is a path or a binary file object."""
    rate = _check_rate(sample_rate)
    nch = _check_channels(channels)
    if isinstance(pcm16, np.ndarray) and pcm16.ndim == 2 and pcm16.shape[1] != nch:
        raise AudioFormatError(f"array has {pcm16.shape[1]} channels but channels={nch}")
    samples = _to_int16_array(pcm16, "write_wav")
    if samples.size % nch:
        raise AudioFormatError(f"{samples.size} samples do not make whole frames of {nch} channels")
    payload = samples.astype("<i2", copy=False).tobytes()
    if isinstance(dest, str | os.PathLike):
        with open(os.fspath(dest), "wb") as f:
            _write_wav_file(f, payload, rate, nch)
    else:
        _write_wav_file(dest, payload, rate, nch)


def _write_wav_file(f: BinaryIO | io.BufferedWriter, payload: bytes, rate: int, channels: int) -> None:
    with wave.open(f, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(payload)
