"""realtime-sdk: an asyncio client for OpenAI's Realtime API.

::

    async with RealtimeSession(session_properties=SessionProperties(instructions="Be brief.")) as session:
        await session.add_item("Hello!")
        response = await session.create_response()
        print(await response.text())
"""

from . import errors, events, types
from .client_secrets import ClientSecret, create_client_secret
from .errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionClosed,
    ConnectTimeoutError,
    EventsDroppedError,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RealtimeError,
    ResponseActiveError,
    ResponseFailedError,
    ServerError,
)
from .events import UnknownServerEvent
from .session import RealtimeSession, ResponseHandle, SessionOptions
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

__all__ = [
    "AudioConfiguration",
    "AudioInput",
    "AudioOutput",
    "AuthenticationError",
    "ClientSecret",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeoutError",
    "ConnectionClosed",
    "EventsDroppedError",
    "InputAudioNoiseReduction",
    "InputAudioTranscription",
    "InsecureTransportError",
    "NotFoundError",
    "PCMAAudioFormat",
    "PCMAudioFormat",
    "PCMUAudioFormat",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "RealtimeError",
    "RealtimeSession",
    "ResponseActiveError",
    "ResponseFailedError",
    "ResponseHandle",
    "SemanticTurnDetection",
    "ServerError",
    "SessionOptions",
    "SessionProperties",
    "TurnDetection",
    "UnknownServerEvent",
    "create_client_secret",
    "errors",
    "events",
    "types",
]
