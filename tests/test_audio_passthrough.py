"""Pass-through when formats match: 24 kHz mono PCM16 goes to and from an ``audio/pcm`` wire untouched.

A spy on the resampler's float path shows that nothing is converted when the formats match, and that
conversion still runs as soon as the rate, the encoding or the channel count differ.  Expected bytes are
the input itself, or computed here with numpy from the definition (scale by 32768, round, clip).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from support import noise

from realtime_sdk import audio
from realtime_sdk.audio import InputConverter, OutputConverter
from realtime_sdk.errors import AudioFormatError


def test_input_bytes_at_the_wire_format_pass_untouched(float_path_calls: list[int]) -> None:
    pcm = noise(24000).astype("<i2").tobytes()
    conv = InputConverter("audio/pcm", 24000)
    assert conv.passthrough
    # Cut anywhere, even inside samples: the odd byte waits for the next chunk.
    cuts = [0, 1, 961, 962, 5001, 20000, len(pcm)]
    out = b"".join(conv.convert(pcm[a:b]) for a, b in itertools.pairwise(cuts))
    assert conv.pending_bytes == 0
    assert out + conv.flush() == pcm
    assert float_path_calls == []


def test_input_int16_arrays_and_buffers_pass_untouched(float_path_calls: list[int]) -> None:
    x = noise(4800)
    conv = InputConverter("audio/pcm", 24000)
    want = x.astype("<i2").tobytes()
    assert conv.convert(x) == want
    assert conv.convert(x.reshape(-1, 1)) == want
    assert conv.convert(x.astype(">i2")) == want  # a big-endian array is still those samples
    assert conv.convert(bytearray(want)) == want
    assert conv.convert(x.data) == want  # a typed memoryview counts bytes, not items
    assert float_path_calls == []


def test_input_bytes_are_copied_out_of_a_reused_buffer() -> None:
    buffer = bytearray(noise(480).astype("<i2").tobytes())
    conv = InputConverter("audio/pcm", 24000)
    out = conv.convert(buffer)
    want = bytes(buffer)
    buffer[:] = bytes(len(buffer))
    assert out == want


def test_an_odd_byte_at_the_end_is_pending_and_dropped_at_flush() -> None:
    conv = InputConverter("audio/pcm", 24000)
    assert conv.convert(b"\x01\x02\x03") == b"\x01\x02"
    assert conv.pending_bytes == 1
    with pytest.raises(AudioFormatError):
        conv.convert(np.zeros(4, dtype=np.int16))  # an array cannot continue a half sample
    assert conv.convert(b"\x04") == b"\x03\x04"
    assert conv.convert(b"\x05") == b""
    assert conv.flush() == b""
    assert conv.pending_bytes == 0
    assert conv.convert(b"\x06\x07") == b"\x06\x07"  # the stray byte did not leak into the next stream


def test_wrong_shapes_are_still_refused() -> None:
    conv = InputConverter("audio/pcm", 24000)
    with pytest.raises(AudioFormatError):
        conv.convert(np.zeros((10, 2), dtype=np.int16))
    with pytest.raises(AudioFormatError):
        conv.convert(np.zeros((2, 2, 2), dtype=np.int16))
    with pytest.raises(AudioFormatError):
        conv.convert(np.zeros(4, dtype=np.int32))
    with pytest.raises(AudioFormatError):
        conv.convert("not audio")  # type: ignore[arg-type]


def test_a_float_array_at_the_wire_rate_is_encoded_not_passed(float_path_calls: list[int]) -> None:
    x = np.linspace(-1.2, 1.2, 2401, dtype=np.float32)
    conv = InputConverter("audio/pcm", 24000)
    want = np.clip(np.rint(x.astype(np.float64) * 32768), -32768, 32767).astype("<i2").tobytes()
    assert conv.convert(x) + conv.flush() == want
    assert float_path_calls != []


@pytest.mark.parametrize(
    ("rate", "channels", "encoding", "wire"),
    [
        (16000, 1, "pcm16", "audio/pcm"),
        (48000, 1, "pcm16", "audio/pcm"),
        (24000, 2, "pcm16", "audio/pcm"),
        (24000, 1, "float32", "audio/pcm"),
        (24000, 1, "pcm16", "audio/pcmu"),
    ],
)
def test_input_conversion_still_runs_when_anything_differs(
    rate: int, channels: int, encoding: Any, wire: Any, float_path_calls: list[int]
) -> None:
    conv = InputConverter(wire, rate, channels, encoding)
    assert not conv.passthrough
    sample_bytes = 4 if encoding == "float32" else 2
    frames = rate // 10  # 100 ms
    data = bytes(frames * channels * sample_bytes)
    out = conv.convert(data) + conv.flush()
    wire_bytes = 8 * 100 if wire == "audio/pcmu" else 48 * 100
    assert len(out) == wire_bytes
    assert float_path_calls != []


def test_output_at_the_wire_format_passes_untouched(float_path_calls: list[int]) -> None:
    pcm = noise(12000, seed=2).astype("<i2").tobytes()
    conv = OutputConverter("audio/pcm", 24000)
    assert conv.passthrough
    pieces = [pcm[:4801], pcm[4801:9600], pcm[9600:]]
    assert b"".join(conv.convert(p) for p in pieces) + conv.flush() == pcm
    assert audio.from_wire(pcm, "audio/pcm", 24000) == pcm
    assert float_path_calls == []
    with pytest.raises(AudioFormatError):
        conv.convert(np.zeros(4, dtype=np.int16))  # type: ignore[arg-type]


def test_output_reset_drops_a_half_sample() -> None:
    conv = OutputConverter("audio/pcm", 24000)
    assert conv.convert(b"\x01\x02\x03") == b"\x01\x02"
    conv.reset()
    assert conv.convert(b"\x04\x05") == b"\x04\x05"


@pytest.mark.parametrize(
    ("rate", "encoding", "channels", "out_bytes"),
    [
        (48000, "pcm16", 1, 2 * 4800),
        (16000, "pcm16", 1, 2 * 1600),
        (24000, "float32", 1, 4 * 2400),
        (24000, "pcm16", 2, 2 * 2 * 2400),
        (8000, "pcmu", 1, 800),
    ],
)
def test_output_conversion_still_runs_when_anything_differs(
    rate: int, encoding: Any, channels: int, out_bytes: int, float_path_calls: list[int]
) -> None:
    conv = OutputConverter("audio/pcm", rate, encoding, channels)
    assert not conv.passthrough
    out = conv.convert(noise(2400, seed=3).astype("<i2").tobytes()) + conv.flush()
    assert len(out) == out_bytes
    assert float_path_calls != []
