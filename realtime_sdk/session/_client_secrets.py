"""Ephemeral client secrets: let a browser or phone app connect without ever seeing your API key.

The server mints a short-lived key (``ek_...``) bound to a session configuration with
``POST /v1/realtime/client_secrets``; hand ``secret.value`` to the client, which uses it as its API key.
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from .._generated import RealtimeSessionCreateRequestGA
from ..errors import ConfigurationError, ConnectError, ConnectTimeoutError, redact
from ._connect import check_transport, error_for_status

__all__ = ["ClientSecret", "create_client_secret", "mint_secret"]

_DEFAULT_BASE = "https://api.openai.com/v1"


class ClientSecret(msgspec.Struct, frozen=True, kw_only=True):
    """A minted ephemeral key.  Its ``repr`` never shows the value."""

    value: str
    """The ephemeral key, for the client's ``Authorization: Bearer`` (or its ``api_key``)."""
    expires_at: int
    """Unix time (seconds) after which the key no longer opens a connection."""
    session: dict[str, Any]
    """The effective session configuration, as the server echoed it."""

    def __repr__(self) -> str:
        return f"ClientSecret(value='{self.value[:3]}…', expires_at={self.expires_at})"


async def create_client_secret(
    session: RealtimeSessionCreateRequestGA | dict[str, Any] | None = None,
    *,
    api_key: str | None = None,
    base_url: str = _DEFAULT_BASE,
    http: aiohttp.ClientSession | None = None,
    expires_after: int | None = None,
    allow_insecure: bool = False,
    request_timeout: float = 30.0,
) -> ClientSecret:
    """Mint an ephemeral client secret for ``session`` (valid ``expires_after`` seconds, server default 600).

    Raises the same typed errors as a failed handshake (``AuthenticationError`` for 401...).
    """
    url = URL(base_url.rstrip("/") + "/realtime/client_secrets")
    body: dict[str, Any] = {}
    if session is not None:
        body["session"] = msgspec.to_builtins(session) if isinstance(session, msgspec.Struct) else session
    return await mint_secret(
        url,
        body,
        api_key=api_key,
        http=http,
        expires_after=expires_after,
        allow_insecure=allow_insecure,
        request_timeout=request_timeout,
    )


async def mint_secret(
    url: URL,
    body: dict[str, Any],
    *,
    api_key: str | None,
    http: aiohttp.ClientSession | None,
    expires_after: int | None,
    allow_insecure: bool,
    request_timeout: float,
) -> ClientSecret:
    """POST ``body`` (plus ``expires_after``) to a client-secrets URL; the typed errors of a handshake."""
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ConfigurationError("an API key is needed to mint a client secret (api_key= or OPENAI_API_KEY)")
    check_transport(url, has_credential=True, allow_insecure=allow_insecure)
    body = dict(body)
    if expires_after is not None:
        body["expires_after"] = {"anchor": "created_at", "seconds": expires_after}
    own = http is None
    client = http if http is not None else aiohttp.ClientSession()
    try:
        async with client.post(
            url,
            data=msgspec.json.encode(body),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=request_timeout),
        ) as resp:
            payload = await resp.read()
            if resp.status != 200:
                exc = error_for_status(resp.status, url)
                detail = _error_message(payload)
                if detail:
                    detail = redact(detail.replace(key, "<api key>"))
                    exc.args = (f"{exc.args[0]}: {detail}",)
                raise exc
        return msgspec.json.decode(payload, type=ClientSecret)
    except TimeoutError:
        raise ConnectTimeoutError(f"no answer from {url} within {request_timeout} s") from None
    except aiohttp.ClientError as exc:
        raise ConnectError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
    except msgspec.ValidationError as exc:
        raise ConnectError(f"unexpected answer from {url}: {exc}") from None
    finally:
        if own:
            await client.close()


def _error_message(payload: bytes) -> str | None:
    # OpenAI-style bodies: {"error": {"message": ...}}.  The message never echoes the full key.
    try:
        data = msgspec.json.decode(payload)
    except msgspec.DecodeError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else None
