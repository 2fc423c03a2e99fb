"""Audio formats on the wire: the three the GA interface names, to and from 16-bit PCM.

Input audio is kept as PCM16 at its own rate (24 kHz for ``audio/pcm``, 8 kHz for G.711) for the VAD, and
handed to models as 24 kHz PCM16.  Model output is 24 kHz PCM16 and is converted to the session's output
format at the edge.  Rate changes here are deliberately simple (sample repetition up, 3-sample mean
down): this is a test server, not a studio; the SDK's own resampler lives in ``realtime_sdk.audio``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..audio import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

MODEL_RATE = 24_000


@dataclass(frozen=True, slots=True)
class WireFormat:
    """One of ``audio/pcm`` (24 kHz PCM16), ``audio/pcmu`` or ``audio/pcma`` (8 kHz G.711)."""

    type: str

    @property
    def rate(self) -> int:
        return MODEL_RATE if self.type == "audio/pcm" else 8_000

    @property
    def sample_width(self) -> int:
        return 2 if self.type == "audio/pcm" else 1

    @property
    def bytes_per_ms(self) -> int:
        return self.rate * self.sample_width // 1000

    def to_pcm16(self, data: bytes) -> NDArray[np.int16]:
        """Wire bytes to PCM16 samples at this format's own rate (whole samples only)."""
        if self.type == "audio/pcmu":
            data = ulaw_decode(data)
        elif self.type == "audio/pcma":
            data = alaw_decode(data)
        return np.frombuffer(data, dtype="<i2").astype(np.int16, copy=False)

    def to_model(self, samples: NDArray[np.int16]) -> bytes:
        """PCM16 at this format's rate to 24 kHz PCM16 bytes."""
        if self.rate != MODEL_RATE:
            samples = np.repeat(samples, MODEL_RATE // self.rate)
        return samples.astype("<i2", copy=False).tobytes()

    def from_model(self, pcm24: bytes) -> bytes:
        """24 kHz PCM16 bytes to wire bytes in this format."""
        if self.type == "audio/pcm":
            return pcm24
        x = np.frombuffer(pcm24[: len(pcm24) - len(pcm24) % 6], dtype="<i2").astype(np.int32)
        down = x.reshape(-1, 3).mean(axis=1).astype(np.int16)
        return ulaw_encode(down) if self.type == "audio/pcmu" else alaw_encode(down)

    def ms(self, n_bytes: int) -> float:
        return n_bytes / self.bytes_per_ms


def pcm24_ms(pcm24: bytes) -> float:
    """Duration of 24 kHz PCM16 bytes in milliseconds."""
    return len(pcm24) / 48


def tone(ms: float, *, freq: float = 220.0, level: float = 0.3) -> bytes:
    """A plain sine at 24 kHz PCM16: the voice of the local server when it has nothing to echo."""
    n = int(MODEL_RATE * ms / 1000)
    t = np.arange(n, dtype=np.float32) / MODEL_RATE
    fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / 240.0)
    wave = np.sin(2 * np.pi * freq * t) * fade * level * 32767
    return wave.astype("<i2").tobytes()
