"""HTTP answers shaped like the real service's: JSON error bodies, and minting ephemeral keys.

For every HTTP route of the local server (client secrets here; call control and others plug in with
``LocalRealtimeServer.add_route``): ``error_response`` for an OpenAI-style error body with a status,
``client_error_response`` for a refused request (400 with the ``ClientError``'s code, message, param).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from .._generated import RealtimeSessionCreateRequestGA
from ._errors import ClientError
from ._ids import new_id
from ._session_config import default_session, merge

_STATUS_TEXT = {
    400: ("invalid_request_error", "Bad request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    403: ("invalid_request_error", "You are not allowed to use this model."),
    404: ("invalid_request_error", "Not found."),
    429: ("requests", "Rate limit reached. Please try again later."),
    500: ("server_error", "The server had an error while processing your request."),
    503: ("server_error", "The server is overloaded. Please try again later."),
}


def error_response(status: int, message: str | None = None, code: str | None = None) -> web.Response:
    kind, default = _STATUS_TEXT.get(status, ("server_error", "Error."))
    body = {"error": {"message": message or default, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status)


def client_error_response(exc: ClientError, status: int = 400) -> web.Response:
    body = {
        "error": {
            "message": exc.message,
            "type": "invalid_request_error",
            "param": exc.param,
            "code": exc.code,
        }
    }
    return web.json_response(body, status=status)


@dataclass(frozen=True, slots=True)
class ClientSecret:
    value: str
    expires_at: int
    update: RealtimeSessionCreateRequestGA
    session: dict[str, Any]
    """The session as the answer shows it (no ``expires_at``: the key's is given beside it)."""


def mint_client_secret(body: bytes, default_model: str, session_ttl: float) -> ClientSecret:
    """An ephemeral key for the ``POST /realtime/client_secrets`` body; raises ``ClientError`` or a
    msgspec/``ValueError`` error for a bad body."""
    data: dict[str, Any] = msgspec.json.decode(body) or {}
    update = msgspec.convert(data.get("session") or {"type": "realtime"}, RealtimeSessionCreateRequestGA)
    seconds = int((data.get("expires_after") or {}).get("seconds", 600))
    if not 10 <= seconds <= 7200:
        raise ClientError(
            "invalid_value", "expires_after.seconds must be between 10 and 7200.", "expires_after.seconds"
        )
    model = update.model if isinstance(update.model, str) else default_model
    session = merge(default_session(new_id("sess"), model, int(time.time() + session_ttl)), update)
    session.pop("expires_at", None)
    return ClientSecret("ek_" + secrets.token_hex(16), int(time.time()) + seconds, update, session)
