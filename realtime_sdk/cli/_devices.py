"""The audio device seam of ``realtime-sdk chat``: microphone frames in, speaker frames out, a playback clock.

``chat`` talks to an :class:`AudioDevice` only, so a test replaces the sound card with a script.  The
real one, :class:`SoundDevice`, drives PortAudio through ``sounddevice`` (the ``devices`` extra), imported
only when a device is opened.  Audio is mono 16-bit PCM at ``sample_rate`` both ways.

The playback clock is the speaker's own: ``played(nbytes)`` is called from the output callback with the
bytes PortAudio has just taken for playing, so a barge-in truncates the assistant at what was played,
not at what was received.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import ConfigurationError

HINT = "chat needs the devices extra: pip install 'realtime-sdk[devices]'"
BLOCK_MS = 20


class AudioDevice(Protocol):
    sample_rate: int

    def start(self, played: Callable[[int], None]) -> None:
        """Open the streams; call ``played(nbytes)`` (from any thread) as the speaker consumes output."""

    async def read(self) -> bytes | None:
        """The next microphone frame; None when the input has ended."""

    def play(self, pcm: bytes) -> None:
        """Queue assistant audio for the speaker."""

    def clear(self) -> None:
        """Drop queued audio not yet played (the assistant was interrupted)."""

    def close(self) -> None: ...


def _sounddevice() -> Any:
    try:
        import sounddevice  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError as exc:
        raise ConfigurationError(HINT) from exc
    except OSError as exc:  # the package is there but the PortAudio library is not
        raise ConfigurationError(f"{exc}: install PortAudio (e.g. apt-get install libportaudio2)") from exc
    return sounddevice


def list_devices() -> str:
    return str(_sounddevice().query_devices())


def _device(name: str | None) -> int | str | None:
    return int(name) if name is not None and name.isdigit() else name


class SoundDevice:
    """Default (or named/numbered) microphone and speaker through PortAudio."""

    def __init__(
        self, sample_rate: int = 24_000, input_device: str | None = None, output_device: str | None = None
    ) -> None:
        self.sample_rate = sample_rate
        self._sd = _sounddevice()
        self._input_device = _device(input_device)
        self._output_device = _device(output_device)
        self._frames: asyncio.Queue[bytes] = asyncio.Queue()
        self._pending = bytearray()
        self._lock = threading.Lock()
        self._played: Callable[[int], None] = lambda _: None
        self._streams: list[Any] = []

    def start(self, played: Callable[[int], None]) -> None:
        loop = asyncio.get_running_loop()
        self._played = played
        block = self.sample_rate * BLOCK_MS // 1000

        def mic(data: Any, frames: int, _time: Any, _status: Any) -> None:
            loop.call_soon_threadsafe(self._frames.put_nowait, bytes(data))

        def speaker(out: Any, frames: int, _time: Any, _status: Any) -> None:
            want = frames * 2
            with self._lock:
                chunk = bytes(self._pending[:want])
                del self._pending[:want]
            out[: len(chunk)] = chunk
            out[len(chunk) :] = bytes(want - len(chunk))
            if chunk:
                self._played(len(chunk))

        common = {"samplerate": self.sample_rate, "channels": 1, "dtype": "int16", "blocksize": block}
        try:
            self._streams = [
                self._sd.RawInputStream(device=self._input_device, callback=mic, **common),
                self._sd.RawOutputStream(device=self._output_device, callback=speaker, **common),
            ]
            for stream in self._streams:
                stream.start()
        except Exception as exc:  # PortAudioError, ValueError for an unknown device name
            self.close()
            raise ConfigurationError(
                f"cannot open the audio device: {exc} (see realtime-sdk chat --list-devices)"
            ) from exc

    async def read(self) -> bytes | None:
        return await self._frames.get()

    def play(self, pcm: bytes) -> None:
        with self._lock:
            self._pending += pcm

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def close(self) -> None:
        streams, self._streams = self._streams, []
        for stream in streams:
            try:
                stream.stop()
            finally:
                stream.close()
