"""realtime-sdk: an asyncio client for OpenAI's Realtime API.

::

    async with RealtimeSession(session_properties=SessionProperties(instructions="Be brief.")) as session:
        await session.add_item("Hello!")
        response = await session.create_response()
        print(await response.text())
"""

from . import errors, events, types
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
    RequestTimeoutError,
    ResponseActiveError,
    ResponseChainError,
    ResponseFailedError,
    SendTimeoutError,
    ServerError,
    TranscriptionFailedError,
)
from .events import UnknownServerEvent
from .local_events import Reconnected, SessionEvent, ToolCallFinished, ToolCallStarted
from .session import (
    AudioInterrupted,
    ClientSecret,
    OutputAudioChunk,
    OutputAudioStream,
    PlaybackTracker,
    PushToTalk,
    RealtimeSession,
    ReconnectPolicy,
    ResponseHandle,
    SessionOptions,
    create_client_secret,
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
    "RequestTimeoutError",
    "ResponseActiveError",
    "ResponseChainError",
    "ResponseFailedError",
    "ResponseHandle",
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
    "TranscriptionFailedError",
    "TurnDetection",
    "UnknownServerEvent",
    "create_client_secret",
    "errors",
    "events",
    "image_message",
    "text_message",
    "tool",
    "types",
]
