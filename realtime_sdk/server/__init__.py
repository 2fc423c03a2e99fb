"""A local server speaking OpenAI's Realtime protocol (GA), for tests, demos and offline work.

::

    async with LocalRealtimeServer(model=ScriptedModel([Reply.text("Hi!")])) as server:
        ...  # connect any Realtime client to server.url with api key "sk-local-test"
        async with RealtimeSession(**server.session_options()) as session:  # or this SDK's
            ...
"""

from ._call_state import CallRegistry, CallState
from ._faults import FaultRule
from ._profiles import DEFAULT_MODEL, ModelProfile, profile_for
from ._speech_ports import PlaceholderTranscriber, Synthesizer, ToneSynthesizer, Transcriber
from ._transcription import TranscriptionFailure
from .app import HttpRoute, LocalRealtimeServer, SessionEndpoint, openai_or_local
from .connection import ServerConnection
from .models import EchoModel, Model, ModelRequest, Reply, ReplyPart, ScriptedModel
from .replay import ReplayDivergence, ReplayServer

__all__ = [
    "DEFAULT_MODEL",
    "CallRegistry",
    "CallState",
    "EchoModel",
    "FaultRule",
    "HttpRoute",
    "LocalRealtimeServer",
    "Model",
    "ModelProfile",
    "ModelRequest",
    "PlaceholderTranscriber",
    "ReplayDivergence",
    "ReplayServer",
    "Reply",
    "ReplyPart",
    "ScriptedModel",
    "ServerConnection",
    "SessionEndpoint",
    "Synthesizer",
    "ToneSynthesizer",
    "Transcriber",
    "TranscriptionFailure",
    "openai_or_local",
    "profile_for",
]
