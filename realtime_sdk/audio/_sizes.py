"""Wire formats, application encodings, sizes and durations, and argument checks, without numpy.

The tables every other audio module reads: a wire format's rate and sample size, the bytes a millisecond
takes, and the conversions between samples, bytes and milliseconds.  Kept apart from the sample
representations (``_formats``, numpy) so that a session that never converts audio (a text session,
or audio already at the session's format) imports neither numpy nor soxr.
"""

from __future__ import annotations

import math
import operator
from typing import Final, Literal, TypeAlias, cast, get_args

from ..errors import AudioFormatError

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


def _integer(value: object) -> int | None:
    """An int, or a numpy integer (anything with ``__index__``), as an int; ``None`` for bools and the rest."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def check_rate(rate: object, what: str = "sample rate") -> int:
    value = _integer(rate)
    if value is None:
        raise AudioFormatError(f"{what} must be an integer number of Hz, got {rate!r}")
    if not MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE:
        raise AudioFormatError(f"{what} {value} Hz is out of range ({MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz)")
    return value


def check_channels(channels: object) -> int:
    value = _integer(channels)
    if value is None:
        raise AudioFormatError(f"channels must be an integer, got {channels!r}")
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


def as_byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    """The bytes of a buffer as a flat memoryview of single bytes (a typed view is cast)."""
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    return view
