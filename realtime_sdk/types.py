"""Short names for the session configuration structs, matching Pipecat's ``OpenAIRealtimeLLMService`` names.

Each session kind has its own: ``SessionProperties`` (realtime), ``TranscriptionSessionProperties`` and
``TranslationSessionProperties``, with the server's confirmed session as ``RealtimeServerSession``,
``TranscriptionServerSession`` and ``TranslationServerSession``.

The generated structs are named after the API document (``RealtimeSessionCreateRequestGA`` and so on); the
names here are the ones a Pipecat user already knows, bound to the very same classes::

    Pipecat                                   realtime_sdk
    SessionProperties(...)                    SessionProperties(...)      (= RealtimeSessionCreateRequestGA)
    AudioInput(turn_detection=False)          AudioInput(turn_detection=None)

One difference: to switch server turn detection off, the API wants ``null``, so here it is
``turn_detection=None`` (``None`` is sent as ``null``; a field left out is not sent at all).
``RealtimeSession`` also accepts Pipecat's ``False`` and sends ``null`` for it.
"""

from __future__ import annotations

import msgspec

from ._generated import (
    AudioTranscription,
    RealtimeAudioFormatsAudioPcm,
    RealtimeAudioFormatsAudioPcma,
    RealtimeAudioFormatsAudioPcmu,
    RealtimeCallCreateRequest,
    RealtimeCallReferRequest,
    RealtimeCallRejectRequest,
    RealtimeConversationItem,
    RealtimeFunctionTool,
    RealtimeResponse,
    RealtimeResponseConfirmed,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateRequestGAAudio,
    RealtimeSessionCreateRequestGAAudioInput,
    RealtimeSessionCreateRequestGAAudioInputNoiseReduction,
    RealtimeSessionCreateRequestGAAudioOutput,
    RealtimeSessionCreateResponseGA,
    RealtimeSessionCreateResponseGAConfirmed,
    RealtimeTranscriptionSessionCreateRequestGA,
    RealtimeTranscriptionSessionCreateRequestGAAudio,
    RealtimeTranscriptionSessionCreateRequestGAAudioInput,
    RealtimeTranscriptionSessionCreateRequestGAAudioInputNoiseReduction,
    RealtimeTranscriptionSessionCreateResponseGA,
    RealtimeTranslationSession,
    RealtimeTranslationSessionCreateRequest,
    RealtimeTranslationSessionUpdateRequest,
    RealtimeTranslationSessionUpdateRequestAudio,
    RealtimeTranslationSessionUpdateRequestAudioInput,
    RealtimeTranslationSessionUpdateRequestAudioInputNoiseReduction,
    RealtimeTranslationSessionUpdateRequestAudioInputTranscription,
    RealtimeTranslationSessionUpdateRequestAudioOutput,
    RealtimeTurnDetectionSemanticVad,
    RealtimeTurnDetectionServerVad,
)
from .errors import ProtocolError

__all__ = [
    "AudioConfiguration",
    "AudioInput",
    "AudioOutput",
    "CallCreateRequest",
    "CallReferRequest",
    "CallRejectRequest",
    "ConfirmedResponse",
    "ConversationItem",
    "FunctionTool",
    "InputAudioNoiseReduction",
    "InputAudioTranscription",
    "PCMAAudioFormat",
    "PCMAudioFormat",
    "PCMUAudioFormat",
    "RealtimeServerSession",
    "Response",
    "ResponseParams",
    "SemanticTurnDetection",
    "ServerSession",
    "SessionProperties",
    "TranscriptionAudioConfiguration",
    "TranscriptionAudioInput",
    "TranscriptionInputAudioNoiseReduction",
    "TranscriptionServerSession",
    "TranscriptionSessionProperties",
    "TranslationAudioConfiguration",
    "TranslationAudioInput",
    "TranslationAudioOutput",
    "TranslationInputAudioNoiseReduction",
    "TranslationInputTranscription",
    "TranslationServerSession",
    "TranslationSessionCreateProperties",
    "TranslationSessionProperties",
    "TurnDetection",
    "confirmed_response",
    "confirmed_session",
]

SessionProperties = RealtimeSessionCreateRequestGA
"""What ``session.update`` sends: instructions, audio, tools, ``max_output_tokens``..."""
AudioConfiguration = RealtimeSessionCreateRequestGAAudio
AudioInput = RealtimeSessionCreateRequestGAAudioInput
AudioOutput = RealtimeSessionCreateRequestGAAudioOutput
InputAudioTranscription = AudioTranscription
InputAudioNoiseReduction = RealtimeSessionCreateRequestGAAudioInputNoiseReduction
TurnDetection = RealtimeTurnDetectionServerVad
SemanticTurnDetection = RealtimeTurnDetectionSemanticVad
PCMAudioFormat = RealtimeAudioFormatsAudioPcm
PCMUAudioFormat = RealtimeAudioFormatsAudioPcmu
PCMAAudioFormat = RealtimeAudioFormatsAudioPcma

RealtimeServerSession = RealtimeSessionCreateResponseGAConfirmed
"""A realtime session as the server confirms it: the fields the service always sends are typed present
(``audio.output.voice`` is a ``str``; see ``schema/overlay.json``).  ``confirmed_session`` makes one."""
ServerSession = RealtimeSessionCreateResponseGA | RealtimeTranscriptionSessionCreateResponseGA
"""The session as the server reports it in ``session.created`` / ``session.updated`` (what
``update_session`` returns): a realtime session, or a transcription-only one."""

TranscriptionSessionProperties = RealtimeTranscriptionSessionCreateRequestGA
"""What ``session.update`` sends for a transcription-only session (``type: "transcription"``)."""
TranscriptionAudioConfiguration = RealtimeTranscriptionSessionCreateRequestGAAudio
TranscriptionAudioInput = RealtimeTranscriptionSessionCreateRequestGAAudioInput
TranscriptionInputAudioNoiseReduction = RealtimeTranscriptionSessionCreateRequestGAAudioInputNoiseReduction
TranscriptionServerSession = RealtimeTranscriptionSessionCreateResponseGA

TranslationSessionProperties = RealtimeTranslationSessionUpdateRequest
"""What a translation session's ``session.update`` sends (output language, input transcription...)."""
TranslationSessionCreateProperties = RealtimeTranslationSessionCreateRequest
"""A translation session as created with its model (the body of a translation client secret)."""
TranslationAudioConfiguration = RealtimeTranslationSessionUpdateRequestAudio
TranslationAudioInput = RealtimeTranslationSessionUpdateRequestAudioInput
TranslationAudioOutput = RealtimeTranslationSessionUpdateRequestAudioOutput
TranslationInputTranscription = RealtimeTranslationSessionUpdateRequestAudioInputTranscription
TranslationInputAudioNoiseReduction = RealtimeTranslationSessionUpdateRequestAudioInputNoiseReduction
TranslationServerSession = RealtimeTranslationSession
"""A translation session as the server reports it in ``session.created`` / ``session.updated``."""

CallCreateRequest = RealtimeCallCreateRequest
"""``POST /realtime/calls``: the SDP offer and, optionally, the session to start with."""
CallReferRequest = RealtimeCallReferRequest
CallRejectRequest = RealtimeCallRejectRequest
ResponseParams = RealtimeResponseCreateParams
Response = RealtimeResponse
ConfirmedResponse = RealtimeResponseConfirmed
"""A finished response as ``response.done`` reports it, with the fields the service always sends there typed
present (``usage``, ``output``, ``status``...).  ``confirmed_response`` makes one."""
ConversationItem = RealtimeConversationItem
FunctionTool = RealtimeFunctionTool


def confirmed_session(session: ServerSession) -> RealtimeServerSession:
    """The realtime session of a ``session.created`` / ``session.updated``, its always-sent fields typed present.

    Raises ``ProtocolError`` for a transcription session, or naming the field when the server left one
    out (the event itself still decoded: only this stricter view needs them).
    """
    if not isinstance(session, RealtimeSessionCreateResponseGA):
        raise ProtocolError(f"not a realtime session but a {session.type!r} one")
    try:
        return msgspec.convert(msgspec.to_builtins(session), RealtimeServerSession)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"the server's session lacks a field it always sends: {exc}") from None


def confirmed_response(response: RealtimeResponse) -> ConfirmedResponse:
    """The response of a ``response.done`` with its always-sent fields typed present.

    Raises ``ProtocolError`` naming the field when the server left one out (``response.created`` carries
    no usage yet: this view is for ``response.done``).
    """
    try:
        return msgspec.convert(msgspec.to_builtins(response), ConfirmedResponse)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"the finished response lacks a field it always carries: {exc}") from None
