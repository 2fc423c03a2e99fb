"""WAV files with the stdlib: read any common PCM, float or G.711 WAV as PCM16; write PCM16."""

from __future__ import annotations

import io
import os
import struct
import wave
from pathlib import Path
from typing import Any, BinaryIO, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

from ..errors import AudioFormatError
from ._formats import check_channels, check_rate, float_to_int16, to_int16_array
from ._g711 import ALAW_DECODE_TABLE, ULAW_DECODE_TABLE

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
    return Path(__file__).parent.parent / "data" / "hello.wav"


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
        return float_to_int16(floats)
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
    rate = check_rate(sample_rate)
    nch = check_channels(channels)
    if isinstance(pcm16, np.ndarray) and pcm16.ndim == 2 and pcm16.shape[1] != nch:
        raise AudioFormatError(f"array has {pcm16.shape[1]} channels but channels={nch}")
    samples = to_int16_array(pcm16, "write_wav")
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
