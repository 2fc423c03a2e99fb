"""TEMPORARY stand-ins for the translation events of the 2026-08-21 document, for the local server.

``RealtimeTranslationClientEvent`` / ``RealtimeTranslationServerEvent`` belong in
``realtime_sdk._generated``; until the generator emits them, these structs carry the same wire names and
fields the local server needs.  Delete this module then and import the generated ones.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from msgspec import UNSET, UnsetType

from .._struct import Struct

# -- client events ---------------------------------------------------------------------------------


class TranslationSessionUpdate(Struct, kw_only=True, tag_field="type", tag="session.update"):
    type: ClassVar[Literal["session.update"]]
    event_id: str | UnsetType = UNSET
    session: dict[str, Any]


class TranslationInputAudioBufferAppend(
    Struct, kw_only=True, tag_field="type", tag="session.input_audio_buffer.append"
):
    type: ClassVar[Literal["session.input_audio_buffer.append"]]
    event_id: str | UnsetType = UNSET
    audio: str


class TranslationSessionClose(Struct, kw_only=True, tag_field="type", tag="session.close"):
    type: ClassVar[Literal["session.close"]]
    event_id: str | UnsetType = UNSET


TranslationClientEvent = (
    TranslationSessionUpdate | TranslationInputAudioBufferAppend | TranslationSessionClose
)

# -- server events ---------------------------------------------------------------------------------


class TranslationTranscription(Struct, kw_only=True):
    model: str


class TranslationNoiseReduction(Struct, kw_only=True):
    type: str


class TranslationSessionAudioInput(Struct, kw_only=True):
    transcription: TranslationTranscription | None = None
    noise_reduction: TranslationNoiseReduction | None = None


class TranslationSessionAudioOutput(Struct, kw_only=True):
    language: str


class TranslationSessionAudio(Struct, kw_only=True):
    input: TranslationSessionAudioInput
    output: TranslationSessionAudioOutput


class TranslationSession(Struct, kw_only=True, tag_field="type", tag="translation"):
    type: ClassVar[Literal["translation"]]
    id: str
    expires_at: int
    model: str
    audio: TranslationSessionAudio


class TranslationSessionCreated(Struct, kw_only=True, tag_field="type", tag="session.created"):
    type: ClassVar[Literal["session.created"]]
    event_id: str
    session: TranslationSession


class TranslationSessionUpdated(Struct, kw_only=True, tag_field="type", tag="session.updated"):
    type: ClassVar[Literal["session.updated"]]
    event_id: str
    session: TranslationSession


class TranslationSessionClosed(Struct, kw_only=True, tag_field="type", tag="session.closed"):
    type: ClassVar[Literal["session.closed"]]
    event_id: str


class TranslationInputTranscriptDelta(
    Struct, kw_only=True, tag_field="type", tag="session.input_transcript.delta"
):
    type: ClassVar[Literal["session.input_transcript.delta"]]
    event_id: str
    delta: str
    elapsed_ms: int | None = None


class TranslationOutputTranscriptDelta(
    Struct, kw_only=True, tag_field="type", tag="session.output_transcript.delta"
):
    type: ClassVar[Literal["session.output_transcript.delta"]]
    event_id: str
    delta: str
    elapsed_ms: int | None = None


class TranslationOutputAudioDelta(Struct, kw_only=True, tag_field="type", tag="session.output_audio.delta"):
    type: ClassVar[Literal["session.output_audio.delta"]]
    event_id: str
    delta: str
    sample_rate: int = 24_000
    channels: int = 1
    format: Literal["pcm16"] = "pcm16"
    elapsed_ms: int | None = None
