"""Short names for the session configuration structs, matching Pipecat's ``OpenAIRealtimeLLMService`` names.

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

from ._generated import (
    AudioTranscription,
    RealtimeAudioFormatsAudioPcm,
    RealtimeAudioFormatsAudioPcma,
    RealtimeAudioFormatsAudioPcmu,
    RealtimeConversationItem,
    RealtimeFunctionTool,
    RealtimeResponse,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateRequestGAAudio,
    RealtimeSessionCreateRequestGAAudioInput,
    RealtimeSessionCreateRequestGAAudioInputNoiseReduction,
    RealtimeSessionCreateRequestGAAudioOutput,
    RealtimeSessionCreateResponseGA,
    RealtimeTranscriptionSessionCreateResponseGA,
    RealtimeTurnDetectionSemanticVad,
    RealtimeTurnDetectionServerVad,
)

__all__ = [
    "AudioConfiguration",
    "AudioInput",
    "AudioOutput",
    "ConversationItem",
    "FunctionTool",
    "InputAudioNoiseReduction",
    "InputAudioTranscription",
    "PCMAAudioFormat",
    "PCMAudioFormat",
    "PCMUAudioFormat",
    "Response",
    "ResponseParams",
    "SemanticTurnDetection",
    "ServerSession",
    "SessionProperties",
    "TurnDetection",
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

ServerSession = RealtimeSessionCreateResponseGA | RealtimeTranscriptionSessionCreateResponseGA
"""The session as the server reports it in ``session.created`` / ``session.updated`` (what
``update_session`` returns): a realtime session, or a transcription-only one."""
ResponseParams = RealtimeResponseCreateParams
Response = RealtimeResponse
ConversationItem = RealtimeConversationItem
FunctionTool = RealtimeFunctionTool
