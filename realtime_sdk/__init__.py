"""realtime-sdk: an asyncio client for OpenAI's Realtime API.

::

    async with RealtimeSession(session_properties=SessionProperties(instructions="Be brief.")) as session:
        await session.add_item("Hello!")
        response = await session.create_response()
        print(await response.text())
"""

from typing import TYPE_CHECKING

from . import errors, events, types
from ._lazy import lazy_attributes
from .conversation import text_message
from .errors import (
    AudioOnCallError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionClosed,
    ConnectTimeoutError,
    EventsDroppedError,
    ImageError,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RealtimeError,
    RequestLostError,
    RequestTimeoutError,
    ResponseActiveError,
    ResponseChainError,
    ResponseFailedError,
    ResponseTimeoutError,
    SendTimeoutError,
    ServerError,
    TranscriptionFailedError,
)
from .events import UnknownServerEvent
from .local_events import McpApprovalRequested, Reconnected, SessionEvent, ToolCallFinished, ToolCallStarted
from .session import (
    AudioInterrupted,
    OutputAudioChunk,
    OutputAudioStream,
    PlaybackTracker,
    PushToTalk,
    RealtimeSession,
    ReconnectPolicy,
    ResponseHandle,
    SessionOptions,
)
from .tools import Tool, ToolCall, ToolRegistry, ToolResult, tool
from .types import (
    AudioConfiguration,
    AudioInput,
    AudioOutput,
    InputAudioNoiseReduction,
    InputAudioTranscription,
    PCMAAudioFormat,
    PCMAudioFormat,
    PCMUAudioFormat,
    SemanticTurnDetection,
    SessionProperties,
    TurnDetection,
)
from .vision import image_message

if TYPE_CHECKING:
    from .session import (
        ClientSecret,
        Transcript,
        TranscriptionSession,
        TranslationSession,
        TranslationTranscript,
        TranslationUsage,
        create_client_secret,
        create_translation_client_secret,
    )

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    dict.fromkeys(
        (
            "ClientSecret",
            "Transcript",
            "TranscriptionSession",
            "TranslationSession",
            "TranslationTranscript",
            "TranslationUsage",
            "create_client_secret",
            "create_translation_client_secret",
        ),
        "session",
    ),
)
"""The other session kinds and client secrets: from ``session`` on first use (``session.LAZY``)."""


__all__ = [
    "AudioConfiguration",
    "AudioInput",
    "AudioInterrupted",
    "AudioOnCallError",
    "AudioOutput",
    "AuthenticationError",
    "ClientSecret",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeoutError",
    "ConnectionClosed",
    "EventsDroppedError",
    "ImageError",
    "InputAudioNoiseReduction",
    "InputAudioTranscription",
    "InsecureTransportError",
    "McpApprovalRequested",
    "NotFoundError",
    "OutputAudioChunk",
    "OutputAudioStream",
    "PCMAAudioFormat",
    "PCMAudioFormat",
    "PCMUAudioFormat",
    "PermissionDeniedError",
    "PlaybackTracker",
    "ProtocolError",
    "PushToTalk",
    "RateLimitError",
    "RealtimeError",
    "RealtimeSession",
    "ReconnectPolicy",
    "Reconnected",
    "RequestLostError",
    "RequestTimeoutError",
    "ResponseActiveError",
    "ResponseChainError",
    "ResponseFailedError",
    "ResponseHandle",
    "ResponseTimeoutError",
    "SemanticTurnDetection",
    "SendTimeoutError",
    "ServerError",
    "SessionEvent",
    "SessionOptions",
    "SessionProperties",
    "Tool",
    "ToolCall",
    "ToolCallFinished",
    "ToolCallStarted",
    "ToolRegistry",
    "ToolResult",
    "Transcript",
    "TranscriptionFailedError",
    "TranscriptionSession",
    "TranslationSession",
    "TranslationTranscript",
    "TranslationUsage",
    "TurnDetection",
    "UnknownServerEvent",
    "create_client_secret",
    "create_translation_client_secret",
    "errors",
    "events",
    "image_message",
    "text_message",
    "tool",
    "types",
]
