"""G.711 μ-law and A-law with numpy (the stdlib ``audioop`` is gone in Python 3.13).

ITU-T G.711, following the bit-exact rules of the ITU-T G.191 software tools library.  Encoding is a
vectorised segment search, decoding a 256-entry table look-up.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from ._formats import AudioChunk, Encoding, float_to_int16, to_codes, to_int16_array

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
    return _ulaw_compress(to_int16_array(pcm16, "ulaw_encode")).tobytes()


def ulaw_decode(data: AudioChunk) -> bytes:
    """Expand G.711 μ-law bytes (or a uint8 array) to PCM16 little-endian bytes."""
    return ULAW_DECODE_TABLE[to_codes(data, "ulaw_decode")].astype("<i2").tobytes()


def alaw_encode(pcm16: AudioChunk) -> bytes:
    """Compress PCM16 to G.711 A-law, one byte a sample. Input as for :func:`ulaw_encode`."""
    return _alaw_compress(to_int16_array(pcm16, "alaw_encode")).tobytes()


def alaw_decode(data: AudioChunk) -> bytes:
    """Expand G.711 A-law bytes (or a uint8 array) to PCM16 little-endian bytes."""
    return ALAW_DECODE_TABLE[to_codes(data, "alaw_decode")].astype("<i2").tobytes()


def encode_float(x: NDArray[np.float32], encoding: Encoding) -> bytes:
    """Finite float32 samples (already interleaved: the resampler's output) to bytes in ``encoding``."""
    if encoding == "float32":
        return x.astype("<f4", copy=False).tobytes()
    pcm = float_to_int16(x, finite=True)
    if encoding == "pcm16":
        return pcm.astype("<i2", copy=False).tobytes()
    if encoding == "pcmu":
        return _ulaw_compress(pcm).tobytes()
    return _alaw_compress(pcm).tobytes()


def decode_g711(chunk: AudioChunk, encoding: Encoding, what: str) -> bytes:
    """G.711 codes (bytes or a uint8 array) in ``encoding`` to PCM16 little-endian bytes."""
    codes = to_codes(chunk, what)
    table = ULAW_DECODE_TABLE if encoding == "pcmu" else ALAW_DECODE_TABLE
    return table[codes].astype("<i2").tobytes()
