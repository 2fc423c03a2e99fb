"""Sample representations: application samples (PCM16 bytes, int16 or float arrays, G.711 codes) as the
numpy arrays the codecs and the resampler work on, and float32 back into int16; every conversion module
goes through these.  The numpy-free tables, sizes and checks live in ``_sizes`` and are re-exported
here for the conversion modules.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

from ..errors import AudioFormatError
from ._sizes import (
    API_SAMPLE_RATE,
    AUDIO_FORMATS,
    ENCODING_SAMPLE_BYTES,
    ENCODINGS,
    FORMAT_ENCODING,
    FORMAT_RATE,
    FORMAT_SAMPLE_BYTES,
    G711_SAMPLE_RATE,
    MAX_CHANNELS,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    QUALITIES,
    AudioFormat,
    Encoding,
    Quality,
    SampleDType,
    as_byte_view,
    bytes_per_ms,
    bytes_per_sample,
    bytes_to_ms,
    bytes_to_samples,
    check_channels,
    check_duration,
    check_encoding,
    check_format,
    check_quality,
    check_rate,
    chunk_bytes_for,
    default_sample_rate,
    ms_to_bytes,
    ms_to_samples,
    sample_rate_of,
    samples_to_bytes,
    samples_to_ms,
    silence,
)

__all__ = [
    "API_SAMPLE_RATE",
    "AUDIO_FORMATS",
    "ENCODINGS",
    "ENCODING_SAMPLE_BYTES",
    "FORMAT_ENCODING",
    "FORMAT_RATE",
    "FORMAT_SAMPLE_BYTES",
    "G711_SAMPLE_RATE",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "QUALITIES",
    "AudioChunk",
    "AudioFormat",
    "Encoding",
    "Quality",
    "SampleDType",
    "array_to_float",
    "as_byte_view",
    "bytes_per_ms",
    "bytes_per_sample",
    "bytes_to_ms",
    "bytes_to_samples",
    "check_channels",
    "check_duration",
    "check_encoding",
    "check_format",
    "check_quality",
    "check_rate",
    "chunk_bytes_for",
    "default_sample_rate",
    "float_to_int16",
    "int16_to_float",
    "ms_to_bytes",
    "ms_to_samples",
    "sample_rate_of",
    "samples_to_bytes",
    "samples_to_ms",
    "sanitize_float",
    "silence",
    "to_codes",
    "to_int16_array",
]

AudioChunk: TypeAlias = bytes | bytearray | memoryview | NDArray[Any]
"""A piece of audio: raw bytes in a declared encoding, or a numpy array (1-D or ``(frames, channels)``)."""


# ---------------------------------------------------------------------------------------------------------
# Sample conversion helpers
# ---------------------------------------------------------------------------------------------------------

_INT16_SCALE: Final = 32768.0


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
