"""The offline speech engines of the ``speech`` extra (real PocketSphinx and eSpeak NG, no placeholders).

Skipped when the extra is not installed (the dev extra installs it).  Recognition output of a fixed
engine on fixed audio is deterministic, so word-level checks are stable.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from realtime_sdk.audio import read_wav, resample, sample_wav_path
from realtime_sdk.server._codec import tone

pytest.importorskip("pocketsphinx")
pytest.importorskip("espeakng_loader")

from realtime_sdk.server._speech import EspeakSynthesizer, PocketSphinxTranscriber

SAID = "hello what is the weather like in paris today".split()


def hello_pcm24() -> bytes:
    pcm, rate, channels = read_wav(sample_wav_path())
    assert channels == 1
    return resample(pcm, rate, 24_000)


def spectral_flatness(pcm24: bytes) -> float:
    """Geometric over arithmetic mean of the power spectrum, averaged over 40 ms frames with signal."""
    x = np.frombuffer(pcm24, dtype="<i2").astype(np.float64)
    n = 960
    values: list[float] = []
    for start in range(0, x.size - n, n):
        frame = x[start : start + n] * np.hanning(n)
        if np.sqrt(np.mean(frame**2)) < 100:
            continue
        power = np.abs(np.fft.rfft(frame)) ** 2 + 1e-9
        values.append(float(np.exp(np.mean(np.log(power))) / np.mean(power)))
    return float(np.mean(values))


def zero_crossing_spread(pcm24: bytes) -> float:
    """Coefficient of variation of the per-frame zero-crossing rate: near 0 for a steady tone."""
    x: NDArray[np.int16] = np.frombuffer(pcm24, dtype="<i2")
    n = 1200  # 50 ms: a 220 Hz tone crosses zero 22 times, give or take one
    rates = []
    for start in range(0, x.size - n, n):
        frame = x[start : start + n].astype(np.int32)
        if np.abs(frame).max() < 300:
            continue
        rates.append(np.count_nonzero(np.diff(np.sign(frame))) / n)
    r = np.array(rates)
    return float(r.std() / r.mean())


def test_recognises_most_of_the_bundled_sample() -> None:
    heard = PocketSphinxTranscriber()(hello_pcm24()).split()
    assert len(set(heard) & set(SAID)) >= 6, heard


def test_silence_is_heard_as_nothing() -> None:
    assert PocketSphinxTranscriber()(bytes(48_000)) == ""
    assert PocketSphinxTranscriber()(b"") == ""


def test_synthesised_speech_is_speech_not_a_tone() -> None:
    speech = EspeakSynthesizer()("You said: hello what is the weather like in Paris today")
    seconds = len(speech) / 48_000
    assert 1.5 < seconds < 8.0
    beep = tone(seconds * 1000)
    # A sine's spectrum is one peak (flatness near 0) and its zero-crossing rate never changes.
    assert spectral_flatness(beep) < 0.01
    assert zero_crossing_spread(beep) < 0.05
    assert spectral_flatness(speech) > 10 * spectral_flatness(beep)
    assert zero_crossing_spread(speech) > 0.3


def test_synthesis_round_trips_through_recognition() -> None:
    speech = EspeakSynthesizer()("what is the weather like today")
    heard = PocketSphinxTranscriber()(speech).split()
    assert len(set(heard) & {"what", "is", "the", "weather", "like", "today"}) >= 3, heard


def test_empty_text_is_no_audio() -> None:
    assert EspeakSynthesizer()("   ") == b""


async def test_the_server_ports_run_the_engines() -> None:
    from realtime_sdk.server._speech import OfflineSynthesizer, OfflineTranscriber

    speech = await OfflineSynthesizer().synthesize("what is the weather like today")
    assert len(speech) > 48_000 and len(speech) % 2 == 0
    heard = (await OfflineTranscriber().transcribe(speech)).split()
    assert len(set(heard) & {"what", "is", "the", "weather", "like", "today"}) >= 3, heard


async def test_speak_the_text_turns_echoed_audio_into_text_to_speak() -> None:
    from realtime_sdk.server import Reply, ScriptedModel
    from realtime_sdk.server._speech import SpeakTheText
    from realtime_sdk.server.models import ModelRequest

    inner = ScriptedModel([Reply.audio(b"\x00\x00" * 10, "You said: hi") + Reply.function_call("f", {})])
    reply = await SpeakTheText(inner).respond(ModelRequest([], "", ["audio"], []))
    assert [(p.kind, p.text) for p in reply.parts] == [("text", "You said: hi"), ("function_call", "")]
