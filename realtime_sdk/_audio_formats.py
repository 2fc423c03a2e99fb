"""Wire formats, application encodings, sizes and durations, argument checks, and sample representations.

The tables every other audio module reads: a wire format's rate and sample size, the bytes a millisecond
takes, and the conversions between samples, bytes and milliseconds.  The second half turns application
samples (PCM16 bytes, int16 or float arrays, G.711 codes) into the numpy arrays the codecs and the
resampler work on, and float32 back into int16; every conversion module goes through these.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal, TypeAlias, cast, get_args

import numpy as np
from numpy.typing import NDArray

from .errors import AudioFormatError

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

FORMAT_RATE: Final[dict[str, int]] = {
    "audio/pcm": API_SAMPLE_RATE,
    "audio/pcmu": G711_SAMPLE_RATE,
    "audio/pcma": G711_SAMPLE_RATE,
}
FORMAT_SAMPLE_BYTES: Final[dict[str, int]] = {"audio/pcm": 2, "audio/pcmu": 1, "audio/pcma": 1}
FORMAT_ENCODING: Final[dict[str, Encoding]] = {
    "audio/pcm": "pcm16",
    "audio/pcmu": "pcmu",
    "audio/pcma": "pcma",
}
ENCODING_SAMPLE_BYTES: Final[dict[str, int]] = {"pcm16": 2, "float32": 4, "pcmu": 1, "pcma": 1}


def check_format(fmt: str) -> AudioFormat:
    if fmt not in FORMAT_RATE:
        raise AudioFormatError(f"unknown audio format {fmt!r}; expected one of {', '.join(AUDIO_FORMATS)}")
    return cast(AudioFormat, fmt)


def check_encoding(encoding: str, what: str = "encoding") -> Encoding:
    if encoding not in ENCODING_SAMPLE_BYTES:
        raise AudioFormatError(f"unknown {what} {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    return cast(Encoding, encoding)


def check_rate(rate: object, what: str = "sample rate") -> int:
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer):
        raise AudioFormatError(f"{what} must be an integer number of Hz, got {rate!r}")
    value = int(rate)
    if not MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE:
        raise AudioFormatError(f"{what} {value} Hz is out of range ({MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz)")
    return value


def check_channels(channels: object) -> int:
    if isinstance(channels, bool) or not isinstance(channels, int | np.integer):
        raise AudioFormatError(f"channels must be an integer, got {channels!r}")
    value = int(channels)
    if not 1 <= value <= MAX_CHANNELS:
        raise AudioFormatError(f"channels must be between 1 and {MAX_CHANNELS}, got {value}")
    return value


def check_quality(quality: str) -> Quality:
    if quality not in QUALITIES:
        hint = " (QQ does not anti-alias and is not offered)" if quality == "QQ" else ""
        raise AudioFormatError(f"unknown quality {quality!r}; expected one of {', '.join(QUALITIES)}{hint}")
    return quality


def check_duration(ms: float) -> float:
    if isinstance(ms, bool) or not isinstance(ms, int | float) or not math.isfinite(ms) or ms < 0:
        raise AudioFormatError(f"duration must be a finite number of milliseconds >= 0, got {ms!r}")
    return ms


def sample_rate_of(fmt: AudioFormat) -> int:
    """Sample rate of a wire format: 24000 for ``"audio/pcm"``, 8000 for the G.711 formats."""
    return FORMAT_RATE[check_format(fmt)]


def default_sample_rate(sample_rate: int | None, encoding: Encoding | None) -> int:
    """``sample_rate``, or when it is ``None`` the usual rate of ``encoding``: 8000 for G.711 (``"pcmu"``,
    ``"pcma"``: telephone audio is 8 kHz) and 24000, the API's rate, for linear PCM."""
    if sample_rate is not None:
        return sample_rate
    return G711_SAMPLE_RATE if encoding in ("pcmu", "pcma") else API_SAMPLE_RATE


def bytes_per_sample(fmt: AudioFormat) -> int:
    """Bytes in one (mono) sample of a wire format: 2 for ``"audio/pcm"``, 1 for G.711."""
    return FORMAT_SAMPLE_BYTES[check_format(fmt)]


def bytes_per_ms(fmt: AudioFormat) -> int:
    """Bytes per millisecond of a wire format: 48 for ``"audio/pcm"``, 8 for G.711."""
    return sample_rate_of(fmt) // 1000 * bytes_per_sample(fmt)


def ms_to_samples(ms: float, sample_rate: int) -> int:
    """Whole samples in ``ms`` milliseconds at ``sample_rate``, rounded down.

    Integer ``ms`` is computed exactly; float ``ms`` tolerates binary rounding (``20.000000000000004``
    and ``19.999999999999996`` both give 20 ms worth)."""
    ms = check_duration(ms)
    rate = check_rate(sample_rate)
    if isinstance(ms, int):
        return ms * rate // 1000
    return math.floor(ms * rate / 1000 + 1e-9)


def samples_to_ms(n: int, sample_rate: int) -> float:
    """Duration in milliseconds (a float, not rounded) of ``n`` samples at ``sample_rate``."""
    return n * 1000 / check_rate(sample_rate)


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
    return _SILENCE_BYTE[check_format(fmt)] * ms_to_bytes(ms, fmt)


# ---------------------------------------------------------------------------------------------------------
# Sample conversion helpers
# ---------------------------------------------------------------------------------------------------------

_INT16_SCALE: Final = 32768.0


def as_byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    return view


def float_to_int16(x: NDArray[np.floating[Any]], *, finite: bool = False) -> NDArray[np.int16]:
    """Scale by 32768, round to nearest (``numpy.rint``), clip to the int16 range. NaN becomes 0.

    ``finite=True`` skips the NaN/infinity scan (a third of the cost) for samples known to be finite,
    such as the resampler's output, whose input was sanitised on the way in."""
    scaled = np.multiply(x, _INT16_SCALE)  # one new array; the steps below work in place in it
    np.rint(scaled, out=scaled)
    if not finite and not np.isfinite(scaled).all():
        np.nan_to_num(scaled, copy=False, nan=0.0, posinf=32767.0, neginf=-32768.0)
    np.clip(scaled, -32768.0, 32767.0, out=scaled)
    result: NDArray[np.int16] = scaled.astype(np.int16)
    return result


def int16_to_float(x: NDArray[np.integer[Any]]) -> NDArray[np.float32]:
    result: NDArray[np.float32] = np.multiply(x, np.float32(1 / _INT16_SCALE), dtype=np.float32)
    return result  # multiplying by 1/32768 (exact in binary) equals dividing by 32768


def sanitize_float(x: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    f = x.astype(np.float32, copy=False)
    if not np.isfinite(f).all():
        f = np.nan_to_num(f, nan=0.0, posinf=1.0, neginf=-1.0)
    return f


def array_to_float(arr: NDArray[Any]) -> NDArray[np.float32]:
    """int16 or floating array (any shape) to float32 in [-1, 1)."""
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "i" and size == 2:
        return int16_to_float(arr)
    if kind == "f":
        return sanitize_float(arr)
    raise AudioFormatError(
        f"unsupported sample dtype {arr.dtype}; use int16 PCM or float32/float64 in [-1, 1]"
    )


def to_int16_array(pcm16: AudioChunk, what: str) -> NDArray[np.int16]:
    """PCM16 little-endian bytes, or an int16/float array of any layout (flattened in C order)."""
    if isinstance(pcm16, np.ndarray):
        if pcm16.ndim > 2:
            raise AudioFormatError(f"{what}: expected a 1-D or 2-D array, got shape {pcm16.shape}")
        kind, size = pcm16.dtype.kind, pcm16.dtype.itemsize
        if kind == "i" and size == 2:
            return pcm16.astype(np.int16, copy=False).reshape(-1)
        if kind == "f":
            return float_to_int16(pcm16).reshape(-1)
        raise AudioFormatError(f"{what}: unsupported dtype {pcm16.dtype}; expected int16 or float")
    if not isinstance(pcm16, bytes | bytearray | memoryview):
        raise AudioFormatError(f"{what}: expected bytes or a numpy array, got {type(pcm16).__name__}")
    view = as_byte_view(pcm16)
    if len(view) % 2:
        raise AudioFormatError(f"{what}: PCM16 data must have an even number of bytes, got {len(view)}")
    return np.frombuffer(view, dtype="<i2").astype(np.int16)


def to_codes(data: AudioChunk, what: str) -> NDArray[np.uint8]:
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise AudioFormatError(f"{what}: G.711 codes must be bytes or a uint8 array, got {data.dtype}")
        return data.reshape(-1)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise AudioFormatError(f"{what}: expected bytes or a uint8 array, got {type(data).__name__}")
    return np.frombuffer(as_byte_view(data), dtype=np.uint8)
