"""``SoundDevice``, the real device of ``chat``, driven through a stand-in ``sounddevice`` module.

The stand-in records the streams the device opens and lets the test call their PortAudio callbacks, so
the callback logic (microphone frames to the loop, speaker buffer, playback clock) runs as it would.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from realtime_sdk.cli._devices import SoundDevice, list_devices
from realtime_sdk.errors import ConfigurationError


class FakeStream:
    def __init__(self, *, callback: Any, device: Any = None, **settings: Any) -> None:
        self.callback, self.device, self.settings = callback, device, settings
        self.started = self.stopped = self.closed = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_sd(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    streams: list[FakeStream] = []

    def make(*args: Any, **kwargs: Any) -> FakeStream:
        if kwargs.get("device") == "missing":
            raise ValueError("No input device matching 'missing'")
        stream = FakeStream(**kwargs)
        streams.append(stream)
        return stream

    module = types.SimpleNamespace(
        RawInputStream=make, RawOutputStream=make, query_devices=lambda: "0 fake mic\n1 fake speaker"
    )
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    module.streams = streams
    return module


async def test_microphone_speaker_and_playback_clock(fake_sd: types.SimpleNamespace) -> None:
    device = SoundDevice(24_000, input_device="1", output_device="speaker")
    played: list[int] = []
    device.start(played.append)
    mic, speaker = fake_sd.streams
    assert (mic.device, speaker.device) == (1, "speaker")
    assert mic.started and speaker.started
    assert mic.settings == {"samplerate": 24000, "channels": 1, "dtype": "int16", "blocksize": 480}

    mic.callback(b"\x01\x00" * 480, 480, None, None)
    assert await device.read() == b"\x01\x00" * 480

    device.play(b"\x02\x00" * 300)
    out = bytearray(960)
    speaker.callback(out, 480, None, None)
    assert bytes(out) == b"\x02\x00" * 300 + bytes(360)  # what is missing is silence
    assert played == [600]
    device.play(b"\x03\x00" * 600)
    speaker.callback(out, 480, None, None)
    device.clear()
    speaker.callback(out, 480, None, None)
    assert played == [600, 960] and bytes(out) == bytes(960)  # cleared: nothing more is played

    device.close()
    assert mic.stopped and mic.closed and speaker.closed


def test_an_unknown_device_is_a_clear_error(fake_sd: types.SimpleNamespace) -> None:
    device = SoundDevice(24_000, input_device="missing")

    async def start() -> None:
        device.start(lambda _: None)

    import asyncio

    with pytest.raises(ConfigurationError, match="cannot open the audio device: No input device matching"):
        asyncio.run(start())


def test_list_devices(fake_sd: types.SimpleNamespace) -> None:
    assert list_devices() == "0 fake mic\n1 fake speaker"


def test_without_sounddevice_the_hint_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'realtime-sdk\[devices\]'"):
        SoundDevice()
