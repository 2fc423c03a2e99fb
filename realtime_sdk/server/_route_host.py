"""What the HTTP-route modules (call control, translations) need from the server, and nothing more, so
they never import the server that registers them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from .._generated import RealtimeSessionCreateRequestGA
from ._call_state import CallRegistry
from .connection import ServerConnection
from .models import Model

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler."""


class RouteHost(Protocol):
    """The server as route modules see it."""

    calls: CallRegistry
    connections: list[ServerConnection]
    model: Model
    pace_audio: bool
    session_ttl: float
    strict: bool

    def authenticate(
        self, request: web.Request
    ) -> tuple[web.Response | None, RealtimeSessionCreateRequestGA | None]: ...

    def add_route(self, method: str, pattern: str, handler: Handler) -> None: ...
