"""A local server speaking OpenAI's Realtime protocol (GA), for tests, demos and offline work.

::

    async with LocalRealtimeServer(model=ScriptedModel([Reply.text("Hi!")])) as server:
        ...  # connect any Realtime client to server.url with api key "sk-local-test"
        async with RealtimeSession(**server.session_options()) as session:  # or this SDK's
            ...
"""

from ._faults import FaultRule
from .app import LocalRealtimeServer, SessionEndpoint, openai_or_local
from .connection import ServerConnection
from .models import EchoModel, Model, ModelRequest, Reply, ReplyPart, ScriptedModel
from .replay import ReplayDivergence, ReplayServer

__all__ = [
    "EchoModel",
    "FaultRule",
    "LocalRealtimeServer",
    "Model",
    "ModelRequest",
    "ReplayDivergence",
    "ReplayServer",
    "Reply",
    "ReplyPart",
    "ScriptedModel",
    "ServerConnection",
    "SessionEndpoint",
    "openai_or_local",
]
