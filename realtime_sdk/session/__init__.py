"""The asyncio edge: ``RealtimeSession`` and what only exists over a live connection.

This package (with ``server/`` and the CLI) is the only place that imports asyncio or aiohttp.  Everything
it decides about the protocol it asks ``protocol/`` for; everything it knows about audio, tools and the
conversation comes from ``audio/``, ``tools`` and ``conversation``.  See ``docs/architecture.md``.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from ._audio_io import PushToTalk
from ._audio_out import AudioInterrupted, OutputAudioChunk, OutputAudioStream, PlaybackTracker
from ._reconnect import ReconnectPolicy
from ._responses import ResponseHandle
from ._session import DEFAULT_URL, HARMLESS_ERROR_CODES, RealtimeSession, SessionOptions

if TYPE_CHECKING:
    from ._client_secrets import ClientSecret, create_client_secret
    from ._transcript_state import Transcript
    from ._transcription import CLIENT_COMMIT_MODELS, TranscriptionOptions, TranscriptionSession
    from ._translation import (
        DEFAULT_TRANSLATION_URL,
        TranslationSession,
        TranslationTranscript,
        TranslationUsage,
        create_translation_client_secret,
    )

LAZY = {
    "ClientSecret": "_client_secrets",
    "create_client_secret": "_client_secrets",
    "Transcript": "_transcript_state",
    "CLIENT_COMMIT_MODELS": "_transcription",
    "TranscriptionOptions": "_transcription",
    "TranscriptionSession": "_transcription",
    "DEFAULT_TRANSLATION_URL": "_translation",
    "TranslationSession": "_translation",
    "TranslationTranscript": "_translation",
    "TranslationUsage": "_translation",
    "create_translation_client_secret": "_translation",
}
"""The other session kinds and client secrets: loaded on first use (a conversation session does not
need them at ``import realtime_sdk``)."""


__getattr__, __dir__ = lazy_attributes(__name__, globals(), LAZY)


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
