"""Where real speech plugs into the local server: a transcriber (user audio → text) and a synthesizer
(assistant text → audio).

Both speak 24 kHz mono PCM16 (little-endian bytes), the model side of every wire format.  They are
coroutines so that a slow engine can run in an executor without holding up the connection.  The defaults
are deterministic placeholders, so tests can predict what they produce:

- ``PlaceholderTranscriber``: ``"<N.N seconds of audio>"``;
- ``ToneSynthesizer``: a 220 Hz sine, 60 ms per word (at least 300 ms).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ._codec import pcm24_ms, tone

__all__ = ["PlaceholderTranscriber", "Synthesizer", "ToneSynthesizer", "Transcriber"]


@runtime_checkable
class Transcriber(Protocol):
    """Turns a user's audio into text for the local server (plug in with ``LocalRealtimeServer(transcriber=...)``)."""

    async def transcribe(self, pcm16_24k: bytes) -> str:
        """The text spoken in ``pcm16_24k`` (24 kHz mono PCM16)."""
        ...


@runtime_checkable
class Synthesizer(Protocol):
    """Turns reply text into speech for the local server (plug in with ``LocalRealtimeServer(synthesizer=...)``)."""

    async def synthesize(self, text: str) -> bytes:
        """``text`` spoken, as 24 kHz mono PCM16 (a whole number of samples)."""
        ...


class PlaceholderTranscriber:
    """The deterministic default: ``"<N.N seconds of audio>"`` for any audio."""

    async def transcribe(self, pcm16_24k: bytes) -> str:
        """``"<N.N seconds of audio>"``, from the audio's length alone."""
        return f"<{pcm24_ms(pcm16_24k) / 1000:.1f} seconds of audio>"


class ToneSynthesizer:
    """The deterministic default: a tone whose length follows the number of words."""

    async def synthesize(self, text: str) -> bytes:
        """A tone of 60 ms per word (at least 300 ms)."""
        return tone(max(300.0, 60.0 * len(text.split())))
