"""The asyncio edge: ``RealtimeSession`` and what only exists over a live connection.

This package (with ``server/`` and the CLI) is the only place that imports asyncio or aiohttp.  Everything
it decides about the protocol it asks ``protocol/`` for; everything it knows about audio, tools and the
conversation comes from ``audio/``, ``tools`` and ``conversation``.  See ``docs/architecture.md``.
"""

from ._audio_io import PushToTalk
from ._audio_out import AudioInterrupted, OutputAudioChunk, OutputAudioStream, PlaybackTracker
from ._client_secrets import ClientSecret, create_client_secret
from ._reconnect import ReconnectPolicy
from ._responses import ResponseHandle
from ._session import DEFAULT_URL, HARMLESS_ERROR_CODES, RealtimeSession, SessionOptions
from ._transcript_state import Transcript
from ._transcription import CLIENT_COMMIT_MODELS, TranscriptionOptions, TranscriptionSession
from ._translation import (
    DEFAULT_TRANSLATION_URL,
    TranslationSession,
    TranslationTranscript,
    TranslationUsage,
    create_translation_client_secret,
)

__all__ = [
    "CLIENT_COMMIT_MODELS",
    "DEFAULT_TRANSLATION_URL",
    "DEFAULT_URL",
    "HARMLESS_ERROR_CODES",
    "AudioInterrupted",
    "ClientSecret",
    "OutputAudioChunk",
    "OutputAudioStream",
    "PlaybackTracker",
    "PushToTalk",
    "RealtimeSession",
    "ReconnectPolicy",
    "ResponseHandle",
    "SessionOptions",
    "Transcript",
    "TranscriptionOptions",
    "TranscriptionSession",
    "TranslationSession",
    "TranslationTranscript",
    "TranslationUsage",
    "create_client_secret",
    "create_translation_client_secret",
]
