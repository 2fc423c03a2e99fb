"""Bytes to typed events and back.

``decode`` never raises on a JSON object: an event whose type is unknown, or whose payload does not fit
its class, comes back as ``UnknownServerEvent`` with the reason in ``error``.  Only a frame that is not
a JSON object (or one nested too deeply for the decoder's recursion limit) raises ``ProtocolError``.  The happy path is a single msgspec decode of the tagged union
(base64 audio decoded in C); the fallback costs one extra untyped decode.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec

from ._generated import CLIENT_EVENT_TYPES, SERVER_EVENT_TYPES, ClientEvent, ServerEvent
from .errors import ProtocolError

__all__ = [
    "AnyClientEvent",
    "AnyServerEvent",
    "ClientEvent",
    "ServerEvent",
    "UnknownClientEvent",
    "UnknownServerEvent",
    "decode",
    "decode_client",
    "encode",
]


class _Unknown(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    """The frame's ``type`` (``""`` when it had none)."""
    raw: dict[str, Any]
    """The whole frame, decoded as plain JSON."""
    error: str
    """Why it is not a typed event: an unknown type, or what failed validation."""

    @property
    def known_type(self) -> bool:
        """True when the type is known but the payload did not fit its class (server drift)."""
        return not self.error.startswith("unknown event type")


class UnknownServerEvent(_Unknown, frozen=True, kw_only=True):
    """A server frame that is a JSON object but not a valid known event."""


class UnknownClientEvent(_Unknown, frozen=True, kw_only=True):
    """A client frame that is a JSON object but not a valid known event."""


AnyServerEvent: TypeAlias = ServerEvent | UnknownServerEvent
AnyClientEvent: TypeAlias = ClientEvent | UnknownClientEvent

_server: msgspec.json.Decoder[ServerEvent] = msgspec.json.Decoder(ServerEvent)
_client: msgspec.json.Decoder[ClientEvent] = msgspec.json.Decoder(ClientEvent)
_plain = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


def decode(data: bytes | str) -> AnyServerEvent:
    """Decode one server frame."""
    try:
        return _server.decode(data)
    except msgspec.ValidationError as exc:
        raw, type_, error = _fallback(data, exc, SERVER_EVENT_TYPES)
        return UnknownServerEvent(type=type_, raw=raw, error=error)
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError("frame is nested too deeply to decode") from None


def decode_client(data: bytes | str) -> AnyClientEvent:
    """Decode one client frame (the local server and recordings use this)."""
    try:
        return _client.decode(data)
    except msgspec.ValidationError as exc:
        raw, type_, error = _fallback(data, exc, CLIENT_EVENT_TYPES)
        return UnknownClientEvent(type=type_, raw=raw, error=error)
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError("frame is nested too deeply to decode") from None


def _fallback(
    data: bytes | str, exc: msgspec.ValidationError, known: dict[str, type]
) -> tuple[dict[str, Any], str, str]:
    try:
        raw = _plain.decode(data)
    except msgspec.DecodeError as inner:  # pragma: no cover - the typed decode parsed it already
        raise ProtocolError(f"frame is not JSON: {inner}") from None
    except RecursionError:
        raise ProtocolError("frame is nested too deeply to decode") from None
    if not isinstance(raw, dict):
        raise ProtocolError(f"frame is not a JSON object but {type(raw).__name__}")
    type_ = raw.get("type")
    if not isinstance(type_, str):
        return raw, "", f"unknown event type: no string 'type' ({exc})"
    if type_ not in known:
        return raw, type_, f"unknown event type {type_!r}"
    return raw, type_, str(exc)


def encode(event: msgspec.Struct | dict[str, Any]) -> bytes:
    """Encode an event (or an unknown event's raw frame) to JSON bytes."""
    if isinstance(event, _Unknown):
        return _encoder.encode(event.raw)
    return _encoder.encode(event)
