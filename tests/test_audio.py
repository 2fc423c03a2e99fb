"""Tests for realtime_sdk.audio.

Expected values are computed here independently of the implementation: G.711 values from the structure
of the tables in ITU-T G.711 (segment start values and step sizes), lengths and rates from arithmetic,
tones from numpy, resampled references from soxr called directly.
"""

from __future__ import annotations

import io
import itertools
import math
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
import soxr  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from realtime_sdk import audio
from realtime_sdk.audio import (
    AudioFormatError,
    Chunker,
    InputConverter,
    OutputConverter,
    Resampler,
)

RATES = [8000, 16000, 22050, 44100, 48000]
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------


def tone(freq: float, rate: int, seconds: float, amp: float = 0.5) -> NDArray[np.float64]:
    t = np.arange(round(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def to_pcm16(x: NDArray[np.float64]) -> bytes:
    return np.clip(np.rint(x * 32768), -32768, 32767).astype("<i2").tobytes()


def pcm(b: bytes) -> NDArray[np.float64]:
    return np.frombuffer(b, dtype="<i2").astype(np.float64) / 32768


def rms(x: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def peak_frequency(x: NDArray[np.float64], rate: int) -> tuple[float, float]:
    """Frequency of the FFT peak (Hann window) and the bin width."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum)) * rate / x.size, rate / x.size


def expected_frames(n: int, in_rate: int, out_rate: int) -> int:
    """round(n * out / in), halves up, with exact fractions."""
    q, r = divmod(n * out_rate, in_rate)
    return q + (1 if 2 * r >= in_rate else 0)


def noise(n: int, seed: int = 0, amp: float = 0.3) -> NDArray[np.float64]:
    return np.clip(np.random.default_rng(seed).standard_normal(n) * amp, -1, 1)


# ---------------------------------------------------------------------------------------------------------
# formats and sizes
# ---------------------------------------------------------------------------------------------------------


def test_format_sizes() -> None:
    # 24 kHz * 2 bytes = 48 bytes/ms; 8 kHz * 1 byte = 8 bytes/ms
    assert audio.bytes_per_ms("audio/pcm") == 48
    assert audio.bytes_per_ms("audio/pcmu") == 8
    assert audio.bytes_per_ms("audio/pcma") == 8
    assert audio.sample_rate_of("audio/pcm") == 24000
    assert audio.sample_rate_of("audio/pcmu") == 8000
    assert audio.bytes_per_sample("audio/pcm") == 2
    assert audio.bytes_per_sample("audio/pcma") == 1
    assert audio.ms_to_bytes(20, "audio/pcm") == 960
    assert audio.ms_to_bytes(20, "audio/pcmu") == 160
    assert audio.ms_to_bytes(1.5, "audio/pcm") == 72  # 36 samples
    assert audio.ms_to_bytes(0.03, "audio/pcm") == 0  # 0.72 of a sample rounds down
    assert audio.ms_to_bytes(0.1, "audio/pcm") == 4  # 2.4 samples -> 2 whole samples
    assert audio.ms_to_bytes(0.1 * 3 * 100, "audio/pcm") == 1440  # 30.000000000000004 ms
    assert audio.ms_to_bytes(19.999999999999996, "audio/pcm") == 960
    assert audio.ms_to_samples(1000, 44100) == 44100
    assert audio.samples_to_ms(441, 44100) == 10.0
    assert audio.bytes_to_ms(4800, "audio/pcm") == 100.0
    assert audio.bytes_to_ms(100, "audio/pcm") == pytest.approx(100 / 48)
    assert audio.bytes_to_ms(160, "audio/pcmu") == 20.0
    assert audio.bytes_to_samples(961, "audio/pcm") == 480
    assert audio.samples_to_bytes(480, "audio/pcm") == 960
    assert audio.chunk_bytes_for(20, "audio/pcma") == 160
    assert audio.silence(2, "audio/pcm") == b"\x00" * 96
    assert audio.silence(1, "audio/pcmu") == b"\xff" * 8
    assert audio.silence(1, "audio/pcma") == b"\xd5" * 8


def test_format_errors() -> None:
    with pytest.raises(AudioFormatError, match="unknown audio format"):
        audio.bytes_per_ms("audio/mp3")  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="no whole sample"):
        audio.chunk_bytes_for(0.05, "audio/pcmu")
    with pytest.raises(AudioFormatError, match="milliseconds"):
        audio.ms_to_bytes(-1, "audio/pcm")
    with pytest.raises(AudioFormatError, match="milliseconds"):
        audio.ms_to_bytes(float("nan"), "audio/pcm")


# ---------------------------------------------------------------------------------------------------------
# G.711
# ---------------------------------------------------------------------------------------------------------

# ITU-T G.711 Table 2a (μ-law), decoder output values in the table's 14-bit scale (max 8031): segment 0
# runs 0, 2, 4, ..., 30 (step 2); segment s >= 1 starts at the value below and steps by 2**(s+1):
# 33, 37, ..., 93 | 99, 107, ... | 231 ... | 495 ... | 1023 ... | 2079 ... | 4191, ..., 8031.
# In PCM16 terms each value is multiplied by 4 (14-bit samples are the 14 MSBs of PCM16).
ULAW_SEGMENT_START_14 = [0, 33, 99, 231, 495, 1023, 2079, 4191]
# Character: bit 7 = sign (1 = positive); bits 6..4 segment, 3..0 step; bits 6..0 transmitted inverted.

# ITU-T G.711 Table 1a (A-law), decoder output values in the table's 12-bit scale (max 4032): segment 0
# runs 1, 3, ..., 31 and segment 1 runs 33, 35, ..., 63 (step 2); segment s >= 2 starts at the value
# below and steps by 2**s: 66, 70, ... | 132 ... | 264 ... | 528 ... | 1056 ... | 2112, ..., 4032.
# In PCM16 terms each value is multiplied by 8 (13-bit signed samples are the 13 MSBs of PCM16).
ALAW_SEGMENT_START_12 = [1, 33, 66, 132, 264, 528, 1056, 2112]
# Character: bit 7 = sign (1 = positive); bits 6..4 segment, 3..0 step; even bits inverted (XOR 0x55).


def ulaw_reference() -> dict[int, int]:
    table = {}
    for s in range(8):
        step = 2 if s == 0 else 2 ** (s + 1)
        for m in range(16):
            value = (ULAW_SEGMENT_START_14[s] + m * step) * 4
            inner = 0x7F & ~((s << 4) | m)
            table[0x80 | inner] = value
            table[inner] = -value
    return table


def alaw_reference() -> dict[int, int]:
    table = {}
    for s in range(8):
        step = 2 if s <= 1 else 2**s
        for m in range(16):
            value = (ALAW_SEGMENT_START_12[s] + m * step) * 8
            table[(0x80 | (s << 4) | m) ^ 0x55] = value
            table[((s << 4) | m) ^ 0x55] = -value
    return table


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (0xFF, 0),  # μ-law positive zero
        (0x7F, 0),  # μ-law negative zero
        (0x80, 32124),  # largest positive: 8031 * 4
        (0x00, -32124),  # largest negative
        (0xFE, 8),  # first step of segment 0: 2 * 4
        (0xF0, 120),  # end of segment 0: 30 * 4
        (0xEF, 132),  # start of segment 1: 33 * 4
        (0x8F, 16764),  # start of segment 7: 4191 * 4
        (0x70, -120),
    ],
)
def test_ulaw_reference_points(code: int, value: int) -> None:
    assert pcm(audio.ulaw_decode(bytes([code])))[0] * 32768 == value


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (0xD5, 8),  # smallest positive: 1 * 8
        (0x55, -8),  # smallest negative
        (0xAA, 32256),  # largest positive: 4032 * 8
        (0x2A, -32256),  # largest negative
        (0xC5, 264),  # start of segment 1: 33 * 8 (0x90 ^ 0x55)
        (0xF5, 528),  # start of segment 2: 66 * 8 (0xA0 ^ 0x55)
        (0xA5, 16896),  # start of segment 7: 2112 * 8 (0xF0 ^ 0x55)
    ],
)
def test_alaw_reference_points(code: int, value: int) -> None:
    assert pcm(audio.alaw_decode(bytes([code])))[0] * 32768 == value


def test_g711_tables_match_standard() -> None:
    codes = bytes(range(256))
    ulaw = np.frombuffer(audio.ulaw_decode(codes), dtype="<i2")
    alaw = np.frombuffer(audio.alaw_decode(codes), dtype="<i2")
    uref, aref = ulaw_reference(), alaw_reference()
    assert len(uref) == 256 and len(aref) == 256
    assert [int(v) for v in ulaw] == [uref[c] for c in range(256)]
    assert [int(v) for v in alaw] == [aref[c] for c in range(256)]


def test_g711_encode_decode_all_codes() -> None:
    codes = bytes(range(256))
    u = audio.ulaw_encode(audio.ulaw_decode(codes))
    assert [i for i in range(256) if u[i] != i] == [0x7F]
    assert u[0x7F] == 0xFF  # negative zero decodes to 0, which encodes as positive zero
    assert audio.alaw_encode(audio.alaw_decode(codes)) == codes


def test_g711_encode_known_values() -> None:
    x = np.array([0, -1, 32767, -32768, 8, -8], dtype=np.int16)
    # μ-law: 0 -> 0xFF; -1 -> negative zero 0x7F (one's complement); beyond 32124 clips to the extremes
    assert audio.ulaw_encode(x) == bytes([0xFF, 0x7F, 0x80, 0x00, 0xFE, 0x7E])
    # A-law: 0 and 8 lie in the first positive interval, -1 and -8 in the first negative one
    assert audio.alaw_encode(x) == bytes([0xD5, 0x55, 0xAA, 0x2A, 0xD5, 0x55])


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_full_scale_ramp_error_within_half_step(law: str) -> None:
    x = np.arange(-32768, 32768, dtype=np.int16)
    if law == "ulaw":
        y = np.frombuffer(audio.ulaw_decode(audio.ulaw_encode(x)), dtype="<i2").astype(np.int64)
        starts = [v * 4 for v in ULAW_SEGMENT_START_14]
        steps = [8] + [4 * 2 ** (s + 1) for s in range(1, 8)]
        top = 32124
    else:
        y = np.frombuffer(audio.alaw_decode(audio.alaw_encode(x)), dtype="<i2").astype(np.int64)
        starts = [v * 8 for v in ALAW_SEGMENT_START_12]
        steps = [16, 16] + [8 * 2**s for s in range(2, 8)]
        top = 32256
    segment = np.searchsorted(starts, np.abs(y), side="right") - 1
    step = np.array(steps)[segment]
    err = np.abs(y - x.astype(np.int64))
    inside = np.abs(x.astype(np.int64)) <= top
    assert np.all(err[inside] <= step[inside] // 2)
    # beyond the largest output value the error is the clipping, still within one step
    assert np.all(err[~inside] <= step[~inside])
    # monotonic: a ramp never decodes downwards
    assert np.all(np.diff(y) >= 0)


def test_g711_accepts_arrays_and_rejects_bad_input() -> None:
    x = np.array([0.0, 0.5, -0.5], dtype=np.float32)
    assert audio.ulaw_encode(x) == audio.ulaw_encode(np.array([0, 16384, -16384], dtype=np.int16))
    assert audio.alaw_encode(x.astype(np.float64)) == audio.alaw_encode(to_pcm16(x.astype(np.float64)))
    assert audio.ulaw_decode(np.array([0xFF, 0x80], dtype=np.uint8)) == audio.ulaw_decode(b"\xff\x80")
    with pytest.raises(AudioFormatError, match="even number of bytes"):
        audio.ulaw_encode(b"\x00\x01\x02")
    with pytest.raises(AudioFormatError, match="int32"):
        audio.alaw_encode(np.zeros(4, dtype=np.int32))
    with pytest.raises(AudioFormatError, match="uint8"):
        audio.ulaw_decode(np.zeros(4, dtype=np.int16))
    with pytest.raises(AudioFormatError, match="expected bytes"):
        audio.ulaw_encode([0, 1, 2])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------
# Resampler
# ---------------------------------------------------------------------------------------------------------

PAIRS = [(r, 24000) for r in RATES] + [(24000, r) for r in RATES]


@pytest.mark.parametrize(("in_rate", "out_rate"), PAIRS)
@pytest.mark.parametrize("n", [1, 7, 999, 1000, 4410, 12345])
def test_output_length_exact_after_flush(in_rate: int, out_rate: int, n: int) -> None:
    r = Resampler(in_rate, out_rate)
    out = r.process(to_pcm16(noise(n))) + r.flush()
    assert len(out) == 2 * expected_frames(n, in_rate, out_rate)


def test_output_length_on_exact_halves() -> None:
    # 1000 samples 24 kHz -> 44.1 kHz is exactly 1837.5; soxr alone gives 1837, flush rounds half up.
    assert len(soxr.resample(np.zeros(1000, np.float32), 24000, 44100, "HQ")) == 1837
    assert len(audio.resample(to_pcm16(noise(1000)), 24000, 44100)) == 2 * 1838
    # 16 kHz -> 24 kHz, 7 samples = 10.5 -> 11
    assert len(audio.resample(to_pcm16(noise(7)), 16000, 24000)) == 2 * 11


@HYPOTHESIS
@given(
    pair=st.sampled_from(PAIRS),
    n=st.integers(min_value=0, max_value=6000),
    cuts=st.lists(st.integers(min_value=0, max_value=12000), max_size=12),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_streaming_bit_identical_to_one_shot(
    pair: tuple[int, int], n: int, cuts: list[int], seed: int
) -> None:
    in_rate, out_rate = pair
    data = to_pcm16(noise(n, seed))
    bounds = sorted({c for c in cuts if c < len(data)} | {0, len(data)})  # cuts at any byte, odd included
    r = Resampler(in_rate, out_rate)
    streamed = b"".join(r.process(data[a:b]) for a, b in itertools.pairwise(bounds)) + r.flush()
    # reference: soxr one-shot in float32, converted to int16 here
    x = np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768)
    ref = to_pcm16(soxr.resample(x, in_rate, out_rate, "HQ").astype(np.float64))
    assert len(streamed) == 2 * expected_frames(n, in_rate, out_rate)
    assert streamed[: len(ref)] == ref
    assert audio.resample(data, in_rate, out_rate) == streamed


@HYPOTHESIS
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=16000), max_size=10),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_streaming_stereo_float32_bytes_any_cut(cuts: list[int], seed: int) -> None:
    frames = noise(4000, seed).reshape(-1, 2).astype("<f4")
    data = frames.tobytes()
    bounds = sorted({c for c in cuts if c < len(data)} | {0, len(data)})
    r = Resampler(44100, 24000, channels=2, in_dtype="float32", out_dtype="float32")
    streamed = b"".join(r.process(data[a:b]) for a, b in itertools.pairwise(bounds)) + r.flush()
    one_shot = audio.resample(frames, 44100, 24000, channels=2, out_dtype="float32")
    assert streamed == one_shot


@pytest.mark.parametrize(("in_rate", "out_rate"), PAIRS)
def test_digital_silence_stays_zero(in_rate: int, out_rate: int) -> None:
    r = Resampler(in_rate, out_rate)
    silent = bytes(2 * in_rate // 50)  # 20 ms chunks
    out = b"".join(r.process(silent) for _ in range(20)) + r.flush()
    assert len(out) == 2 * expected_frames(20 * in_rate // 50, in_rate, out_rate)
    assert not any(out)
    f = Resampler(in_rate, out_rate, out_dtype="float32")
    out_f = f.process(np.zeros(in_rate // 10, dtype=np.float32)) + f.flush()
    assert not any(out_f)


@pytest.mark.parametrize(("in_rate", "out_rate"), PAIRS)
def test_tone_keeps_frequency_and_level(in_rate: int, out_rate: int) -> None:
    freq = 1000.0
    x = tone(freq, in_rate, 1.0)
    y = pcm(audio.resample(to_pcm16(x), in_rate, out_rate))
    assert y.size == out_rate
    peak, bin_width = peak_frequency(y, out_rate)
    assert abs(peak - freq) <= bin_width
    edge = out_rate // 20  # skip 50 ms at each end
    level_db = 20 * math.log10(rms(y[edge:-edge]) / (0.5 / math.sqrt(2)))
    assert abs(level_db) <= 0.5


@pytest.mark.parametrize("quality", ["VHQ", "HQ", "MQ", "LQ"])
def test_downsampling_anti_aliases(quality: audio.Quality) -> None:
    # 15 kHz does not exist at 24 kHz (Nyquist 12 kHz): it must be filtered out, not folded to 9 kHz.
    x = tone(15000, 48000, 0.5)
    y = pcm(audio.resample(to_pcm16(x), 48000, 24000, quality=quality))
    assert y.size == 12000
    steady = y[1200:-1200]  # the abrupt start and end of the tone are broadband clicks: skip 50 ms
    assert rms(steady) < rms(x) * 10 ** (-60 / 20)


def test_qq_is_refused() -> None:
    with pytest.raises(AudioFormatError, match="QQ"):
        Resampler(48000, 24000, quality="QQ")  # type: ignore[arg-type]


def test_stereo_downmix() -> None:
    x = tone(440, 48000, 0.25)
    opposite = np.stack([x, -x], axis=1)  # (frames, 2)
    out = audio.resample(opposite, 48000, 24000, channels=2)
    assert len(out) == 2 * 6000
    assert not any(out)  # (L + R) / 2 == 0 exactly
    same = np.stack([x, x], axis=1)
    mono_ref = audio.resample(to_pcm16(x), 48000, 24000)
    assert audio.resample(same, 48000, 24000, channels=2) == audio.resample(x, 48000, 24000)
    interleaved = np.frombuffer(to_pcm16(same.reshape(-1)), dtype="<i2")
    assert audio.resample(interleaved.tobytes(), 48000, 24000, channels=2) == mono_ref
    assert audio.resample(interleaved, 48000, 24000, channels=2) == mono_ref  # 1-D interleaved array
    assert audio.resample(interleaved.reshape(-1, 2), 48000, 24000, channels=2) == mono_ref
    # a quiet left channel and a loud right channel average to the mean
    lr = np.stack([np.zeros_like(x), x], axis=1)
    half = pcm(audio.resample(lr, 48000, 48000, channels=2))
    assert np.max(np.abs(half - x / 2)) <= 1 / 32768


def test_dtypes_give_same_result() -> None:
    x = np.rint(noise(3000) * 32768) / 32768  # exactly representable as int16 and float32
    ref = audio.resample(to_pcm16(x), 16000, 24000)
    assert audio.resample((x * 32768).astype(np.int16), 16000, 24000) == ref
    assert audio.resample(x.astype(np.float32), 16000, 24000) == ref
    assert audio.resample(x, 16000, 24000) == ref
    assert audio.resample(x.astype("<f4").tobytes(), 16000, 24000, in_dtype="float32") == ref
    f32 = np.frombuffer(audio.resample(to_pcm16(x), 16000, 24000, out_dtype="float32"), dtype="<f4")
    assert to_pcm16(f32.astype(np.float64)) == ref


def test_same_rate_converts_without_resampling() -> None:
    data = to_pcm16(noise(1001))
    r = Resampler(24000, 24000)
    assert r.process(data[:5]) == data[:4]  # the odd byte waits for its partner
    assert r.pending_bytes == 1
    assert r.process(data[5:]) == data[4:]
    assert r.flush() == b""
    f = Resampler(24000, 24000, in_dtype="float32")
    values = np.array([0.0, 1.5, -2.0, 0.25, 1 / 65536, 3 / 65536, -1.0, 32767.4 / 32768], dtype="<f4")
    out = np.frombuffer(f.process(values.tobytes()), dtype="<i2")
    # clipping at both ends; rounding to nearest (halves to even, like numpy.rint)
    assert out.tolist() == [0, 32767, -32768, 8192, 0, 2, -32768, 32767]
    assert audio.resample(np.array([np.nan, np.inf, -np.inf]), 8000, 8000) == to_pcm16(np.array([0, 1, -1]))


def test_flush_makes_resampler_reusable_and_reset_drops_audio() -> None:
    data = to_pcm16(noise(4000))
    r = Resampler(16000, 24000)
    first = r.process(data) + r.flush()
    second = r.process(data) + r.flush()
    assert first == second
    r.process(data)
    r.reset()
    assert r.flush() == b""
    assert r.process(data) + r.flush() == first


@pytest.mark.parametrize(
    ("quality", "in_rate", "low", "high"),
    [
        ("HQ", 16000, 30.0, 40.0),
        ("HQ", 48000, 30.0, 40.0),
        ("LQ", 16000, 15.0, 21.0),
        ("LQ", 48000, 15.0, 21.0),
        ("VHQ", 16000, 70.0, 80.0),
    ],
)
def test_documented_latency(quality: audio.Quality, in_rate: int, low: float, high: float) -> None:
    r = Resampler(in_rate, 24000, quality=quality)
    chunk = to_pcm16(noise(in_rate // 50))
    frames_in = frames_out = 0
    held = []
    for _ in range(100):
        frames_out += len(r.process(chunk)) // 2
        frames_in += in_rate // 50
        held.append((frames_in * 24000 / in_rate - frames_out) / 24)
    assert low <= max(held[20:]) <= high


def test_resampler_bad_input() -> None:
    with pytest.raises(AudioFormatError, match="0 Hz"):
        Resampler(0, 24000)
    with pytest.raises(AudioFormatError, match="integer"):
        Resampler(44100.0, 24000)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="channels"):
        Resampler(48000, 24000, channels=0)
    with pytest.raises(AudioFormatError, match="in_dtype"):
        Resampler(48000, 24000, in_dtype="int32")  # type: ignore[arg-type]
    r = Resampler(48000, 24000, channels=2)
    with pytest.raises(AudioFormatError, match="3-D"):
        r.process(np.zeros((4, 2, 1), dtype=np.int16))
    with pytest.raises(AudioFormatError, match=r"\(frames, 2\)"):
        r.process(np.zeros((4, 3), dtype=np.int16))
    with pytest.raises(AudioFormatError, match="whole interleaved frames"):
        r.process(np.zeros(5, dtype=np.int16))
    with pytest.raises(AudioFormatError, match="int32"):
        r.process(np.zeros((4, 2), dtype=np.int32))
    with pytest.raises(AudioFormatError, match="expected bytes"):
        r.process("abcd")  # type: ignore[arg-type]
    r.process(b"\x00\x00\x00")
    with pytest.raises(AudioFormatError, match="inside a frame"):
        r.process(np.zeros((4, 2), dtype=np.int16))


# ---------------------------------------------------------------------------------------------------------
# converters
# ---------------------------------------------------------------------------------------------------------


def hello_at(rate: int) -> bytes:
    data, file_rate, channels = audio.read_wav(audio.sample_wav_path())
    assert channels == 1
    return audio.resample(data, file_rate, rate)


def test_telephony_round_trip() -> None:
    ulaw_in = audio.ulaw_encode(hello_at(8000))
    frame = 160  # 20 ms of 8 kHz μ-law
    to_api = InputConverter("audio/pcm", 8000, 1, "pcmu")
    wire = b"".join(to_api.convert(ulaw_in[i : i + frame]) for i in range(0, len(ulaw_in), frame))
    wire += to_api.flush()
    assert len(wire) == 2 * 3 * len(ulaw_in)  # 8 kHz -> 24 kHz, exactly
    to_phone = OutputConverter("audio/pcm", 8000, "pcmu")
    wire_chunk = 960 + 1  # odd-sized deltas are fine
    back = b"".join(to_phone.convert(wire[i : i + wire_chunk]) for i in range(0, len(wire), wire_chunk))
    back += to_phone.flush()
    assert abs(len(back) - len(ulaw_in)) <= frame
    a, b = pcm(audio.ulaw_decode(ulaw_in)), pcm(audio.ulaw_decode(back))
    n = min(a.size, b.size)
    assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.98  # same speech, same timing (no pitch or speed change)


def test_g711_passthrough_is_exact() -> None:
    ulaw = bytes(range(256)) * 3
    conv = InputConverter("audio/pcmu", 8000, 1, "pcmu")
    assert conv.passthrough
    assert conv.convert(ulaw) == ulaw
    assert conv.flush() == b""
    alaw_conv = InputConverter("audio/pcma", 8000, 1, "pcma")
    assert alaw_conv.convert(ulaw) == ulaw
    out = OutputConverter("audio/pcmu", 8000, "pcmu")
    assert out.passthrough
    assert out.convert(ulaw) == ulaw
    # μ-law into an A-law session at the same rate is transcoded sample by sample
    transcode = InputConverter("audio/pcma", 8000, 1, "pcmu")
    assert not transcode.passthrough
    assert transcode.convert(ulaw) + transcode.flush() == audio.alaw_encode(audio.ulaw_decode(ulaw))


def test_input_converter_to_g711_wire() -> None:
    x = tone(1000, 16000, 0.5)
    out = audio.to_wire(to_pcm16(x), 16000, wire_format="audio/pcmu")
    assert len(out) == 4000  # 0.5 s at 8 kHz, one byte a sample
    y = pcm(audio.ulaw_decode(out))
    peak, width = peak_frequency(y, 8000)
    assert abs(peak - 1000) <= width


def test_input_converter_float_stereo_44k() -> None:
    x = tone(500, 44100, 0.4)
    stereo = np.stack([x, x], axis=1).astype(np.float32)
    conv = InputConverter("audio/pcm", 44100, 2, "float32")
    pieces = [conv.convert(stereo[i : i + 441]) for i in range(0, len(stereo), 441)]
    wire = b"".join(pieces) + conv.flush()
    assert len(wire) == 2 * expected_frames(len(x), 44100, 24000)
    assert wire == audio.to_wire(stereo, 44100, channels=2)
    assert wire == audio.to_wire(stereo.tobytes(), 44100, channels=2, encoding="float32")


def test_output_converter_to_48k_stereo_and_reset() -> None:
    wire = to_pcm16(tone(1000, 24000, 0.5))
    conv = OutputConverter("audio/pcm", 48000, "pcm16", channels=2)
    out = conv.convert(wire) + conv.flush()
    frames = np.frombuffer(out, dtype="<i2").reshape(-1, 2)
    assert frames.shape == (24000, 2)
    assert np.array_equal(frames[:, 0], frames[:, 1])
    assert out == audio.from_wire(wire, "audio/pcm", 48000, channels=2)
    # reset on interruption: what was held back is gone
    held = conv.convert(wire[:4800])
    assert len(held) < 4 * 4800
    conv.reset()
    assert conv.flush() == b""
    # float32 output for a numpy audio stack
    f = OutputConverter("audio/pcma", 16000, "float32")
    y = np.frombuffer(f.convert(audio.alaw_encode(to_pcm16(tone(440, 8000, 0.5)))) + f.flush(), dtype="<f4")
    assert y.size == 8000
    peak, width = peak_frequency(y.astype(np.float64), 16000)
    assert abs(peak - 440) <= width


def test_converter_bad_input() -> None:
    with pytest.raises(AudioFormatError, match="input_encoding"):
        InputConverter("audio/pcm", 16000, 1, "mp3")  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="unknown audio format"):
        InputConverter("audio/opus", 16000)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="0 Hz"):
        InputConverter("audio/pcm", 0)
    with pytest.raises(AudioFormatError, match="out_encoding"):
        OutputConverter("audio/pcm", 48000, "pcm24")  # type: ignore[arg-type]
    conv = InputConverter("audio/pcm", 16000)
    with pytest.raises(AudioFormatError, match="3-D"):
        conv.convert(np.zeros((2, 2, 2), dtype=np.float32))
    g711 = InputConverter("audio/pcm", 8000, 1, "pcmu")
    with pytest.raises(AudioFormatError, match="uint8"):
        g711.convert(np.zeros(10, dtype=np.int16))


# ---------------------------------------------------------------------------------------------------------
# chunking
# ---------------------------------------------------------------------------------------------------------


@HYPOTHESIS
@given(
    pieces=st.lists(st.binary(max_size=3000), max_size=12),
    ms=st.sampled_from([10, 20, 40, 100]),
    fmt=st.sampled_from(audio.AUDIO_FORMATS),
)
def test_chunker(pieces: list[bytes], ms: int, fmt: audio.AudioFormat) -> None:
    chunker = Chunker.for_duration(ms, fmt)
    size = ms * {"audio/pcm": 48, "audio/pcmu": 8, "audio/pcma": 8}[fmt]
    assert chunker.chunk_bytes == size
    chunks = [c for p in pieces for c in chunker.push(p)]
    rest = chunker.flush()
    stream = b"".join(pieces)
    assert all(len(c) == size for c in chunks)
    assert len(rest) == len(stream) % size
    assert b"".join(chunks) + rest == stream
    assert chunker.pending == 0
    assert list(audio.iter_chunks(stream, size)) == chunks + ([rest] if rest else [])


def test_chunker_bad_size() -> None:
    with pytest.raises(AudioFormatError):
        Chunker(0)
    with pytest.raises(AudioFormatError):
        audio.iter_chunks(b"abc", -1)


# ---------------------------------------------------------------------------------------------------------
# WAV files
# ---------------------------------------------------------------------------------------------------------


def test_wav_round_trip_stereo_44k(tmp_path: Path) -> None:
    x = tone(440, 44100, 0.3)
    stereo = np.stack([x, -0.5 * x], axis=1)
    data = to_pcm16(stereo.reshape(-1))
    path = tmp_path / "stereo.wav"
    audio.write_wav(path, data, 44100, channels=2)
    assert audio.read_wav(path) == (data, 44100, 2)
    assert audio.read_wav(str(path)) == (data, 44100, 2)
    with wave.open(str(path)) as w:  # readable by the stdlib as plain 16-bit PCM
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (2, 2, 44100, x.size)
    buf = io.BytesIO()
    audio.write_wav(buf, np.frombuffer(data, dtype="<i2").reshape(-1, 2), 44100, channels=2)
    buf.seek(0)
    assert audio.read_wav(buf) == (data, 44100, 2)


def write_raw_wav(path: Path, width: int, frames: bytes, rate: int = 16000, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)


def riff(fmt_body: bytes, data: bytes) -> bytes:
    chunks = b"fmt " + struct.pack("<I", len(fmt_body)) + fmt_body
    chunks += b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # an odd-sized chunk to skip
    chunks += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def fmt_chunk(tag: int, bits: int, rate: int = 8000, channels: int = 1) -> bytes:
    block = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)


def round_half_up(v: int, shift: int) -> int:
    return max(-32768, min(32767, math.floor(v / (1 << shift) + 0.5)))


def test_wav_8_24_32_bit(tmp_path: Path) -> None:
    write_raw_wav(tmp_path / "u8.wav", 1, bytes([0, 128, 255, 129]))
    assert np.frombuffer(audio.read_wav(tmp_path / "u8.wav")[0], "<i2").tolist() == [-32768, 0, 32512, 256]
    v24 = [0, 256, -256, 127, 128, -129, -128, 383, 384, 8388607, -8388608]
    raw24 = b"".join(v.to_bytes(3, "little", signed=True) for v in v24)
    write_raw_wav(tmp_path / "s24.wav", 3, raw24)
    got24 = np.frombuffer(audio.read_wav(tmp_path / "s24.wav")[0], "<i2").tolist()
    assert got24 == [round_half_up(v, 8) for v in v24]
    v32 = [0, 65536, -65536, 32767, 32768, 2**31 - 1, -(2**31), 123456789]
    raw32 = b"".join(v.to_bytes(4, "little", signed=True) for v in v32)
    write_raw_wav(tmp_path / "s32.wav", 4, raw32)
    got32 = np.frombuffer(audio.read_wav(tmp_path / "s32.wav")[0], "<i2").tolist()
    assert got32 == [round_half_up(v, 16) for v in v32]


def test_wav_formats_stdlib_cannot_read() -> None:
    floats = struct.pack("<6f", 0.0, 0.5, -0.5, 1.0, -1.0, 2.0)
    data, rate, channels = audio.read_wav(io.BytesIO(riff(fmt_chunk(3, 32, 16000), floats)))
    assert (np.frombuffer(data, "<i2").tolist(), rate, channels) == (
        [0, 16384, -16384, 32767, -32768, 32767],
        16000,
        1,
    )
    ulaw = audio.read_wav(io.BytesIO(riff(fmt_chunk(7, 8), bytes([0xFF, 0x80, 0x00]))))
    assert np.frombuffer(ulaw[0], "<i2").tolist() == [0, 32124, -32124]
    alaw = audio.read_wav(io.BytesIO(riff(fmt_chunk(6, 8), bytes([0xD5, 0xAA]))))
    assert np.frombuffer(alaw[0], "<i2").tolist() == [8, 32256]
    # WAVE_FORMAT_EXTENSIBLE, 24-bit PCM sub-format, stereo
    guid_pcm = struct.pack("<H", 1) + bytes.fromhex("000000001000800000aa00389b71")
    ext = fmt_chunk(0xFFFE, 24, 48000, 2) + struct.pack("<HHI", 22, 24, 3) + guid_pcm
    samples = [256, -256, 512, 0]
    raw = b"".join(v.to_bytes(3, "little", signed=True) for v in samples)
    assert audio.read_wav(io.BytesIO(riff(ext, raw))) == (struct.pack("<4h", 1, -1, 2, 0), 48000, 2)


def test_wav_unsupported() -> None:
    with pytest.raises(AudioFormatError, match=r"0x0002.*ADPCM"):
        audio.read_wav(io.BytesIO(riff(fmt_chunk(2, 4), b"\x00" * 16)))
    with pytest.raises(AudioFormatError, match="RIFF"):
        audio.read_wav(io.BytesIO(b"not a wav file at all"))
    with pytest.raises(AudioFormatError, match="float sample size"):
        audio.read_wav(io.BytesIO(riff(fmt_chunk(3, 16), b"\x00" * 16)))
    with pytest.raises(AudioFormatError, match="whole frames"):
        audio.write_wav(io.BytesIO(), b"\x00" * 6, 16000, channels=2)
    with pytest.raises(AudioFormatError, match="0 Hz"):
        audio.write_wav(io.BytesIO(), b"\x00" * 4, 0)


def test_sample_wav() -> None:
    path = audio.sample_wav_path()
    assert path.stat().st_size < 150_000
    data, rate, channels = audio.read_wav(path)
    assert (rate, channels) == (16000, 1)
    seconds = len(data) / 2 / rate
    assert 2.0 <= seconds <= 4.0
    x = pcm(data)
    assert rms(x) > 0.01  # there is speech in it
    wire = audio.to_wire(data, rate)
    assert len(wire) == 2 * expected_frames(len(data) // 2, 16000, 24000)
