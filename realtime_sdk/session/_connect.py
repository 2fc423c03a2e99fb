"""Where a session connects to and how it proves who it is; the handshake; aiohttp errors → ours, once.

Theory of operation
-------------------
An ``Endpoint`` is a URL plus a credential.  The credential is kept out of every ``repr``: it is a
callable producing headers at connect time (so an Azure token provider is asked afresh on every connect,
which a later reconnect relies on).  ``check_transport`` refuses to send any credential in clear text
(``ws://`` or ``http://``) to a host that is not loopback unless the caller opted in.

``error_for_status`` is the one place an HTTP status becomes a typed error; the websocket handshake and
the client-secret POST both use it.  The handshake never follows a redirect (aiohttp would re-send every
header but ``Authorization`` to the new origin) and its errors never chain to aiohttp's exception (which
holds the request headers).  ``open_websocket`` applies the aiohttp settings the SDK depends on:
a 16 MiB message limit (the default 4 MiB closes the socket with 1009 on a large ``session.updated``),
optionally aiohttp's heartbeat (the session runs its own, ``Wire._watch``), no receive timeout (the
reader waits as long as the connection lives), text frames as bytes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

import aiohttp
import msgspec
from yarl import URL

from .._struct import repr_without
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectTimeoutError,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    redact,
)

__all__ = [
    "MAX_MESSAGE_SIZE",
    "Endpoint",
    "TokenProvider",
    "abort",
    "check_transport",
    "error_for_status",
    "has_credential_header",
    "open_websocket",
    "write_backlog",
]

MAX_MESSAGE_SIZE = 16 * 2**20
"""A ``session.updated`` with many tools, or a retrieved audio item, can pass aiohttp's default 4 MiB."""

TokenProvider = Callable[[], "str | Awaitable[str]"]
"""Returns a bearer token (e.g. Entra ID for Azure); sync or async; called at each connect."""

_Credential = Callable[[], Awaitable[dict[str, str]]]


def _no_credential() -> Callable[[], Awaitable[dict[str, str]]]:
    async def headers() -> dict[str, str]:
        return {}

    return headers


def _static_header(name: str, value: str) -> _Credential:
    async def headers() -> dict[str, str]:
        return {name: value}

    return headers


def _token_header(provider: TokenProvider) -> _Credential:
    async def headers() -> dict[str, str]:
        token = provider()
        if not isinstance(token, str):
            token = await token
        return {"Authorization": f"Bearer {token}"}

    return headers


class Endpoint(msgspec.Struct, frozen=True):
    """A websocket URL (query included) and the credential to present there.  Never shows the secret."""

    url: URL
    credential: _Credential = msgspec.field(default_factory=_no_credential)
    has_credential: bool = False
    kind: Literal["openai", "azure"] = "openai"

    def __repr__(self) -> str:
        return repr_without(self, frozenset({"credential"}))

    @property
    def sideband(self) -> bool:
        """A connection to a SIP or WebRTC call (``?call_id=``): the call carries the audio, and the
        service sends no ``session.created`` (the session exists already)."""
        return "call_id" in self.url.query

    @classmethod
    def openai(
        cls,
        base_url: str,
        *,
        api_key: str | None,
        model: str | None = None,
        call_id: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Endpoint:
        url = URL(base_url)
        params: dict[str, str] = dict(url.query)
        if call_id is not None:
            params["call_id"] = call_id
        elif model is not None:
            params["model"] = model
        params.update(query or {})
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        if not key:
            credential, has = _no_credential(), False
        else:
            credential, has = _static_header("Authorization", f"Bearer {key}"), True
        return cls(url.with_query(params), credential, has, "openai")

    @classmethod
    def azure(
        cls,
        endpoint: str,
        *,
        deployment: str,
        api_version: str | None = None,
        api_key: str | None = None,
        token_provider: TokenProvider | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Endpoint:
        if api_key is not None and token_provider is not None:
            raise ConfigurationError("pass either api_key or token_provider, not both")
        url = URL(endpoint)
        scheme = {"https": "wss", "http": "ws"}.get(url.scheme, url.scheme)
        if scheme not in ("ws", "wss"):
            raise ConfigurationError(f"Azure endpoint must be https:// (or wss://), got {url.scheme!r}")
        # GA path (Azure OpenAI v1 API): /openai/v1/realtime?model=<deployment>.
        params = {"model": deployment}
        if api_version is not None:
            params["api-version"] = api_version
        params.update(query or {})
        ws_url = url.with_scheme(scheme).with_path("/openai/v1/realtime").with_query(params)
        if token_provider is not None:
            return cls(ws_url, _token_header(token_provider), True, "azure")
        key = api_key if api_key is not None else os.environ.get("AZURE_OPENAI_API_KEY")
        if not key:
            return cls(ws_url, _no_credential(), False, "azure")
        return cls(ws_url, _static_header("api-key", key), True, "azure")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(url: URL, *, has_credential: bool, allow_insecure: bool) -> None:
    """Refuse to send a credential in clear text anywhere but loopback."""
    if url.scheme in ("wss", "https"):
        return
    if url.scheme not in ("ws", "http"):
        raise ConfigurationError(f"unsupported URL scheme {url.scheme!r} (use wss:// or ws://)")
    if has_credential and not allow_insecure and not is_loopback(url.host):
        raise InsecureTransportError(
            f"refusing to send the API key in clear text to {url.host} over {url.scheme}://; "
            "use wss:// (https://) or pass allow_insecure=True"
        )


def error_for_status(status: int, where: URL) -> ConnectError:
    """The single mapping from an HTTP status to a typed error."""
    # The URL never carries the key (it travels in a header); drop the query anyway, a call_id is not
    # something to spread through logs either.
    place = str(where.with_query(None))
    message = f"HTTP {status} from {place}"
    if status == 401:
        return AuthenticationError(f"{message}: the API key is missing or invalid", status=status)
    if status == 403:
        return PermissionDeniedError(f"{message}: permission denied", status=status)
    if status == 404:
        return NotFoundError(f"{message}: not found (check the URL, model or deployment)", status=status)
    if status == 429:
        return RateLimitError(f"{message}: rate limited or out of quota", status=status)
    return ConnectError(message, status=status)


CREDENTIAL_HEADERS = frozenset({"authorization", "api-key", "proxy-authorization", "openai-api-key"})
"""Header names that carry a secret, whoever set them (``api_key=``, a token provider, or ``headers=``)."""


def has_credential_header(headers: Mapping[str, str]) -> bool:
    return any(name.lower() in CREDENTIAL_HEADERS for name in headers)


class _Redirected(Exception):
    """The handshake was answered with a redirect; raised from the trace hook before it is followed."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(status)
        self.status = status
        self.location = location


async def _refuse_redirect(
    _session: aiohttp.ClientSession, _ctx: object, params: aiohttp.TraceRequestRedirectParams
) -> None:
    # aiohttp would follow it with the same headers; it strips only Authorization across origins, so an
    # Azure api-key (or any headers= secret) would travel on, even from wss:// down to http://.
    location = params.response.headers.get("Location", "")
    params.response.close()
    raise _Redirected(params.response.status, location)


def _handshake_client(http: aiohttp.ClientSession) -> aiohttp.ClientSession:
    """A client for the handshake alone: ``http``'s connector (its pool, TLS and proxy settings) and
    defaults, plus a hook that refuses redirects.  aiohttp's ``ws_connect`` has no ``allow_redirects``."""
    trace = aiohttp.TraceConfig()
    trace.on_request_redirect.append(_refuse_redirect)
    return aiohttp.ClientSession(
        connector=http.connector,
        connector_owner=False,
        headers=http.headers,
        cookie_jar=http.cookie_jar,
        trust_env=http.trust_env,
        trace_configs=[trace],
    )


_TRANSPORTS: weakref.WeakKeyDictionary[aiohttp.ClientWebSocketResponse[Literal[False]], asyncio.Transport] = (
    weakref.WeakKeyDictionary()
)
"""Each websocket's transport, kept from the handshake: aiohttp forgets it once the response is closed,
and an abort must still reach the socket then."""


def transport_of(ws: aiohttp.ClientWebSocketResponse[Literal[False]]) -> asyncio.Transport | None:
    """``ws``'s socket transport as the handshake left it (``None`` when unknown or aborted)."""
    return _TRANSPORTS.get(ws)


def write_backlog(
    ws: aiohttp.ClientWebSocketResponse[Literal[False]], transport: asyncio.Transport | None = None
) -> int:
    """Bytes written to ``ws`` that the kernel has not taken yet (0 when unknown or gone).

    ``transport``: ``ws``'s, when the caller kept it from ``transport_of`` (one lookup less per send).
    """
    if transport is None:
        transport = _TRANSPORTS.get(ws)
    return transport.get_write_buffer_size() if transport is not None and not transport.is_closing() else 0


def abort(ws: aiohttp.ClientWebSocketResponse[Literal[False]], *, only_if_stuck: bool = False) -> None:
    """Drop ``ws``'s socket at once, unsent bytes included; a sender waiting for room wakes up.

    With ``only_if_stuck``, only when bytes are still waiting to be sent (a peer that stopped reading):
    a socket whose close handshake is under way, with nothing pending, is left to finish it.
    """
    transport = _TRANSPORTS.get(ws)
    if transport is None or (only_if_stuck and not transport.get_write_buffer_size()):
        return
    del _TRANSPORTS[ws]
    transport.abort()


async def open_websocket(
    http: aiohttp.ClientSession,
    endpoint: Endpoint,
    *,
    headers: Mapping[str, str],
    handshake_timeout: float | None,
    heartbeat: float | None,
    ws_close_timeout: float,
    allow_insecure: bool = False,
    autoping: bool = True,
) -> aiohttp.ClientWebSocketResponse[Literal[False]]:
    """The handshake.  Every aiohttp failure leaves here as a ``ConnectError`` (or subclass).

    Redirects are refused, not followed (``ConnectError`` naming the status).  The error is raised outside
    the ``except`` block that caught aiohttp's: its exception holds the request headers, credential
    included, and ``from None`` would only hide it (``__context__`` would still reach it).
    """
    if has_credential_header(headers):
        check_transport(endpoint.url, has_credential=True, allow_insecure=allow_insecure)
    all_headers = dict(headers)
    all_headers.update(await endpoint.credential())
    failure: ConnectError
    client = _handshake_client(http)
    place = endpoint.url.with_query(None)
    try:
        async with asyncio.timeout(handshake_timeout):
            ws = await client.ws_connect(
                endpoint.url,
                headers=all_headers,
                heartbeat=heartbeat,
                autoping=autoping,
                max_msg_size=MAX_MESSAGE_SIZE,
                decode_text=False,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=ws_close_timeout),
            )
        connection = getattr(getattr(ws, "_response", None), "connection", None)
        transport = getattr(connection, "transport", None)
        if isinstance(transport, asyncio.Transport):
            _TRANSPORTS[ws] = transport
        return ws
    except _Redirected as exc:
        target = URL(exc.location)
        where = f" to {target.with_query(None)}" if exc.location else ""
        failure = ConnectError(
            f"HTTP {exc.status} from {place}: redirected{where}; the handshake does not follow redirects "
            "(the credential would go along): connect to the final URL directly",
            status=exc.status,
        )
    except aiohttp.WSServerHandshakeError as exc:
        failure = error_for_status(exc.status, endpoint.url)
    except TimeoutError:
        failure = ConnectTimeoutError(f"no websocket handshake from {place} within {handshake_timeout} s")
    except aiohttp.ClientError as exc:
        failure = ConnectError(f"cannot connect to {place}: {type(exc).__name__}: {redact(str(exc))}")
    finally:
        # The websocket keeps its connection; this client only lent the connector.
        await client.close()
    raise failure from None  # outside the except blocks: no __context__ either
