"""Offline speech for the local server: recognition by PocketSphinx, synthesis by eSpeak NG.

Both come from the ``speech`` extra (``pip install 'realtime-sdk[speech]'``): ``pocketsphinx`` ships an
English acoustic model and dictionary, ``espeakng-loader`` ships eSpeak NG's library and voices, so
nothing is downloaded at run time.  eSpeak NG has no maintained Python binding that loads that library,
so a small ctypes layer drives it here.

The engines are plain callables working on 24 kHz PCM16 bytes, the local server's model format:
``transcriber(pcm24) -> text`` and ``synthesizer(text) -> pcm24``.  They are CPU-bound and blocking;
:class:`OfflineTranscriber` and :class:`OfflineSynthesizer`, the server's speech ports, run them in a
worker thread.
Each engine serialises its own calls with a lock (neither library is safe from two threads at once).

This is small-vocabulary, 2000s-era technology: it hears clear English speech well enough for a demo
and for end-to-end tests of audio plumbing, and it speaks intelligibly in a robotic voice.  It is not a
stand-in for the real service's recognition quality, voices, languages or latency.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..audio import resample
from ..errors import ConfigurationError
from .models import EchoModel, Model, ModelRequest, Reply, ReplyPart

MODEL_RATE = 24_000
_ASR_RATE = 16_000  # the rate of PocketSphinx's bundled English model
_SILENT_PEAK = 300  # about -40 dBFS: quieter audio has no speech worth decoding

Transcribe = Callable[[bytes], str]
Synthesize = Callable[[str], bytes]

_HINT = "offline speech needs the speech extra: pip install 'realtime-sdk[speech]'"


def speech_available() -> bool:
    """Whether the ``speech`` extra is installed (both engines importable)."""
    try:
        import espeakng_loader  # type: ignore[import-untyped]  # noqa: F401
        import pocketsphinx  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


def _resample(pcm: bytes, rate_in: int, rate_out: int) -> bytes:
    pcm = pcm[: len(pcm) - len(pcm) % 2]
    return pcm if rate_in == rate_out or not pcm else resample(pcm, rate_in, rate_out)


class PocketSphinxTranscriber:
    """Speech to text with PocketSphinx's bundled US English model (lower-case words, no punctuation)."""

    def __init__(self) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise ConfigurationError(_HINT) from exc
        self._decoder: Any = Decoder(samprate=_ASR_RATE, loglevel="FATAL")
        self._lock = threading.Lock()

    def __call__(self, pcm24: bytes) -> str:
        samples = np.frombuffer(pcm24[: len(pcm24) - len(pcm24) % 2], dtype="<i2")
        # The decoder always finds some word, even in digital silence; near-silence is heard as nothing.
        if samples.size == 0 or int(np.abs(samples.astype(np.int32)).max()) < _SILENT_PEAK:
            return ""
        pcm16k = _resample(pcm24, MODEL_RATE, _ASR_RATE)
        with self._lock:
            self._decoder.start_utt()
            self._decoder.process_raw(pcm16k, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        return str(hyp.hypstr).strip() if hyp is not None else ""


_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Espeak:
    """The one eSpeak NG library instance of the process (it keeps global state, so only one can exist)."""

    _instance: _Espeak | None = None
    _create = threading.Lock()

    @classmethod
    def get(cls) -> _Espeak:
        with cls._create:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise ConfigurationError(_HINT) from exc
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,  # text
            ctypes.c_size_t,  # size including the terminator
            ctypes.c_uint,  # position
            ctypes.c_int,  # position type
            ctypes.c_uint,  # end position (0: none)
            ctypes.c_uint,  # flags
            ctypes.c_void_p,  # unique identifier
            ctypes.c_void_p,  # user data
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            raise ConfigurationError(f"eSpeak NG failed to start (data at {data.decode()!r})")
        self.rate = rate
        self._lib = lib
        self._chunks: list[bytes] = []
        # Kept on self: the C library holds only a raw pointer to the callback.
        self._callback = _SynthCallback(self._collect)
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None
        self.lock = threading.Lock()

    def _collect(self, wav: Any, samples: int, _events: Any) -> int:
        if samples > 0:
            self._chunks.append(ctypes.string_at(wav, samples * 2))
        return 0  # 0: go on synthesising

    def synth(self, text: str, voice: str) -> bytes:
        """PCM16 at ``self.rate`` for ``text`` (call with ``self.lock`` held)."""
        if voice != self._voice:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ConfigurationError(f"eSpeak NG has no voice {voice!r}")
            self._voice = voice
        self._chunks = []
        encoded = text.encode()
        status = self._lib.espeak_Synth(
            encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self._lib.espeak_Synchronize()
        if status != 0:
            raise RuntimeError(f"eSpeak NG could not synthesise (status {status})")
        return b"".join(self._chunks)


class EspeakSynthesizer:
    """Text to speech with eSpeak NG (``voice``: an eSpeak voice name, default English)."""

    def __init__(self, voice: str = "en") -> None:
        self._engine = _Espeak.get()
        self.voice = voice

    def __call__(self, text: str) -> bytes:
        if not text.strip():
            return b""
        engine = self._engine
        with engine.lock:
            pcm = engine.synth(text, self.voice)
        return _resample(pcm, engine.rate, MODEL_RATE)


class OfflineTranscriber:
    """The local server's ``transcriber`` port with PocketSphinx, run in a worker thread."""

    def __init__(self, engine: Transcribe | None = None) -> None:
        self._engine = engine if engine is not None else PocketSphinxTranscriber()

    async def transcribe(self, pcm16_24k: bytes) -> str:
        return await asyncio.to_thread(self._engine, pcm16_24k)


class OfflineSynthesizer:
    """The local server's ``synthesizer`` port with eSpeak NG, run in a worker thread."""

    def __init__(self, engine: Synthesize | None = None) -> None:
        self._engine = engine if engine is not None else EspeakSynthesizer()

    async def synthesize(self, text: str) -> bytes:
        return await asyncio.to_thread(self._engine, text)


class SpeakTheText:
    """Wraps a model so that its audio parts are spoken from their text by the server's synthesizer.

    The echo model answers a spoken turn with the user's own audio and "You said: ..." as transcript;
    with offline speech the reply should be that sentence spoken, so audio parts become text parts (an
    audio response speaks text through the server's ``synthesizer``; a text response sends it as is).
    """

    def __init__(self, inner: Model) -> None:
        self.inner = inner

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        return await self.inner.transcribe(pcm16_24k, item_id)

    async def respond(self, request: ModelRequest) -> Reply:
        reply = await self.inner.respond(request)
        parts = tuple(
            ReplyPart("text", text=p.text) if p.kind == "audio" and p.text.strip() else p for p in reply.parts
        )
        return Reply(parts, reply.failure)


def offline_speech(inner: Model | None = None) -> dict[str, Any]:
    """``LocalRealtimeServer(**offline_speech())``: the echo model (or ``inner``) heard and spoken offline.

    Raises ConfigurationError naming the ``speech`` extra when it is not installed."""
    if not speech_available():
        raise ConfigurationError(_HINT)
    return {
        "model": SpeakTheText(inner if inner is not None else EchoModel()),
        "transcriber": OfflineTranscriber(),
        "synthesizer": OfflineSynthesizer(),
    }
