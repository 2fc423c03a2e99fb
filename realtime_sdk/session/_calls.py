"""Call control over HTTP: each request built and each answer read here; ``_calls_http`` alone touches the
network.  Public as :mod:`realtime_sdk.calls`."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import msgspec
from yarl import URL

from .._config import as_properties
from .._generated import RealtimeCallReferRequest, RealtimeCallRejectRequest, RealtimeSessionCreateRequestGA
from ..errors import ConfigurationError, ConnectError
from . import _calls_http
from ._connect import check_transport, error_for_status

if TYPE_CHECKING:
    import aiohttp

__all__ = ["CallAnswer", "accept", "create", "hangup", "refer", "reject"]

_DEFAULT_BASE = "https://api.openai.com/v1"

SessionProperties = RealtimeSessionCreateRequestGA | dict[str, Any]


class CallAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to ``create``: the call's id (for ``hangup`` and sidebands) and the SDP to hand back."""

    call_id: str
    sdp: str


@dataclass(frozen=True, slots=True)
class _Request:
    """One call-control request, ready to send: where, what, and the body's content type."""

    url: str
    body: bytes | None
    content_type: str | None


# -- requests (pure) -------------------------------------------------------------------------------
def _session_json(value: SessionProperties | None) -> dict[str, Any]:
    try:
        props = as_properties(value)
    except (TypeError, msgspec.ValidationError) as exc:
        raise ConfigurationError(f"session_properties: {exc}") from None
    out: dict[str, Any] = msgspec.to_builtins(props)
    return out


def _call_url(base: str, call_id: str, action: str) -> str:
    if not isinstance(call_id, str) or not call_id.strip():
        raise ConfigurationError(f"call_id must be a non-empty string, not {call_id!r}")
    return f"{base}/realtime/calls/{quote(call_id, safe='')}/{action}"


def create_request(base: str, sdp_offer: str, session_properties: SessionProperties | None) -> _Request:
    """``POST /realtime/calls``: the bare offer (the key is an ephemeral one, bound to its session), or a
    multipart form with the offer and the session configuration."""
    if not isinstance(sdp_offer, str) or not sdp_offer.lstrip().startswith("v="):
        raise ConfigurationError("sdp_offer must be an SDP offer (text starting with 'v=')")
    url = f"{base}/realtime/calls"
    if session_properties is None:
        return _Request(url, sdp_offer.encode(), "application/sdp")
    session = msgspec.json.encode(_session_json(session_properties))
    body, content_type = _multipart(
        [("sdp", "application/sdp", sdp_offer.encode()), ("session", "application/json", session)]
    )
    return _Request(url, body, content_type)


def _multipart(parts: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "realtime-sdk-" + secrets.token_hex(12)
    out = bytearray()
    for name, content_type, data in parts:
        out += f"--{boundary}\r\n".encode()
        out += f'Content-Disposition: form-data; name="{name}"\r\n'.encode()
        out += f"Content-Type: {content_type}\r\n\r\n".encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def accept_request(base: str, call_id: str, session_properties: SessionProperties | None) -> _Request:
    body = msgspec.json.encode(_session_json(session_properties))
    return _Request(_call_url(base, call_id, "accept"), body, "application/json")


def reject_request(base: str, call_id: str, status_code: int | None) -> _Request:
    if status_code is not None and (
        isinstance(status_code, bool) or not isinstance(status_code, int) or not 400 <= status_code <= 699
    ):
        raise ConfigurationError(f"status_code must be a SIP error status (400-699), not {status_code!r}")
    wire = (
        RealtimeCallRejectRequest()
        if status_code is None
        else RealtimeCallRejectRequest(status_code=status_code)
    )
    return _Request(_call_url(base, call_id, "reject"), msgspec.json.encode(wire), "application/json")


def refer_request(base: str, call_id: str, target_uri: str) -> _Request:
    if not isinstance(target_uri, str) or ":" not in target_uri:
        raise ConfigurationError(f"target_uri must be a URI such as 'tel:+14155550123', not {target_uri!r}")
    wire = RealtimeCallReferRequest(target_uri=target_uri)
    return _Request(_call_url(base, call_id, "refer"), msgspec.json.encode(wire), "application/json")


def hangup_request(base: str, call_id: str) -> _Request:
    return _Request(_call_url(base, call_id, "hangup"), None, None)


# -- answers (pure) --------------------------------------------------------------------------------
def check_reply(reply: _calls_http.Reply, url: str, key: str) -> None:
    """Raise the typed error for a refusal; the server's own message is kept, with the key blanked."""
    if 200 <= reply.status < 300:
        return
    exc = error_for_status(reply.status, URL(url))
    detail = _error_message(reply.body)
    if detail:
        exc.args = (f"{exc.args[0]}: {detail.replace(key, '<api key>')}",)
    raise exc


def answer_of(reply: _calls_http.Reply, url: str) -> CallAnswer:
    """The call id is the last segment of the ``Location`` path (``/v1/realtime/calls/rtc_...``)."""
    if reply.location is None:
        raise ConnectError(f"no Location header in the answer from {url}", status=reply.status)
    segments = [s for s in urlsplit(reply.location).path.split("/") if s]
    if not segments:
        raise ConnectError(f"no call id in the Location {reply.location!r} from {url}", status=reply.status)
    try:
        sdp = reply.body.decode()
    except UnicodeDecodeError:
        raise ConnectError(f"the SDP answer from {url} is not text", status=reply.status) from None
    return CallAnswer(call_id=segments[-1], sdp=sdp)


def _error_message(payload: bytes) -> str | None:
    try:
        data = msgspec.json.decode(payload)
    except msgspec.DecodeError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else None


# -- the calls -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Options:
    key: str = field(repr=False)
    base: str
    http: aiohttp.ClientSession | None
    timeout: float


def _options(
    api_key: str | None,
    base_url: str,
    http: aiohttp.ClientSession | None,
    allow_insecure: bool,
    timeout: float,
) -> _Options:
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ConfigurationError("an API key is needed for call control (api_key= or OPENAI_API_KEY)")
    base = base_url.rstrip("/")
    check_transport(URL(base), has_credential=True, allow_insecure=allow_insecure)
    return _Options(key, base, http, timeout)


async def _send(request: _Request, options: _Options) -> _calls_http.Reply:
    headers = {"Authorization": f"Bearer {options.key}"}
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    reply = await _calls_http.post(
        request.url, body=request.body, headers=headers, http=options.http, request_timeout=options.timeout
    )
    check_reply(reply, request.url, options.key)
    return reply


async def create(
    sdp_offer: str,
    *,
    session_properties: SessionProperties | None = None,
    api_key: str | None = None,
    base_url: str = _DEFAULT_BASE,
    http: aiohttp.ClientSession | None = None,
    allow_insecure: bool = False,
    request_timeout: float = 30.0,
) -> CallAnswer:
    """Relay a WebRTC SDP offer and return the call's id and the SDP answer for the browser.

    Without ``session_properties`` the offer goes alone: use that with an ephemeral key, whose session
    configuration was fixed when it was minted.
    """
    options = _options(api_key, base_url, http, allow_insecure, request_timeout)
    request = create_request(options.base, sdp_offer, session_properties)
    return answer_of(await _send(request, options), request.url)


async def accept(
    call_id: str,
    *,
    session_properties: SessionProperties | None = None,
    api_key: str | None = None,
    base_url: str = _DEFAULT_BASE,
    http: aiohttp.ClientSession | None = None,
    allow_insecure: bool = False,
    request_timeout: float = 30.0,
) -> None:
    """Answer an incoming SIP call with this session configuration (instructions, tools, voice...)."""
    options = _options(api_key, base_url, http, allow_insecure, request_timeout)
    await _send(accept_request(options.base, call_id, session_properties), options)


async def reject(
    call_id: str,
    *,
    status_code: int | None = None,
    api_key: str | None = None,
    base_url: str = _DEFAULT_BASE,
    http: aiohttp.ClientSession | None = None,
    allow_insecure: bool = False,
    request_timeout: float = 30.0,
) -> None:
    """Decline an incoming SIP call with a SIP status (the service's default: 603 Decline)."""
    options = _options(api_key, base_url, http, allow_insecure, request_timeout)
    await _send(reject_request(options.base, call_id, status_code), options)


async def refer(
    call_id: str,
    *,
    target_uri: str,
    api_key: str | None = None,
    base_url: str = _DEFAULT_BASE,
    http: aiohttp.ClientSession | None = None,
    allow_insecure: bool = False,
    request_timeout: float = 30.0,
) -> None:
    """Transfer a SIP call (SIP REFER) to ``target_uri``: ``tel:+14155550123`` or ``sip:agent@example.com``."""
    options = _options(api_key, base_url, http, allow_insecure, request_timeout)
    await _send(refer_request(options.base, call_id, target_uri), options)


async def hangup(
    call_id: str,
    *,
    api_key: str | None = None,
    base_url: str = _DEFAULT_BASE,
    http: aiohttp.ClientSession | None = None,
    allow_insecure: bool = False,
    request_timeout: float = 30.0,
) -> None:
    """End a call, SIP or WebRTC."""
    options = _options(api_key, base_url, http, allow_insecure, request_timeout)
    await _send(hangup_request(options.base, call_id), options)
