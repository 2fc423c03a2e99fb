"""Bytes to typed events and back.

``decode`` never raises on a JSON object: an event whose type is unknown, or whose payload does not fit
its class, comes back as ``UnknownServerEvent`` with the reason in ``error``.  Only a frame that is not
a JSON object (or one nested too deeply for the decoder's recursion limit) raises ``ProtocolError``.
The happy path is a single msgspec decode of the tagged union (base64 audio decoded in C); the fallback
costs one extra untyped decode.

Every event class is importable from here by its wire name in CamelCase
(``response.output_audio.delta`` → ``ResponseOutputAudioDelta``), for ``match`` statements, ``isinstance``
and ``session.on(...)``::

    from realtime_sdk.events import ResponseDone, ResponseOutputTextDelta

The other protocols of the document have their own decoders, unions and unknown-event types: translation
sessions (``decode_translation`` / ``decode_translation_client``; classes named ``Translation...``, such as
``TranslationSessionOutputAudioDelta``) and webhooks (``decode_webhook``; ``WebhookRealtimeCallIncoming``).
The list of event classes is generated (``realtime_sdk/_generated/protocols.py``): nothing here names one.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias

import msgspec

from ._generated import protocols as _protocols
from ._generated.protocols import *  # noqa: F403  (every event class of every protocol, generated)
from ._generated.protocols import (
    CLIENT_EVENT_TYPES,
    SERVER_EVENT_TYPES,
    TRANSLATION_CLIENT_EVENT_TYPES,
    TRANSLATION_SERVER_EVENT_TYPES,
    WEBHOOK_EVENT_TYPES,
    ClientEvent,
    ServerEvent,
    TranslationClientEvent,
    TranslationServerEvent,
    WebhookEvent,
)
from .errors import ProtocolError

__all__ = [  # the event names come from the generated module
    *_protocols.__all__,
    "AnyClientEvent",
    "AnyServerEvent",
    "AnyTranslationClientEvent",
    "AnyTranslationServerEvent",
    "AnyWebhookEvent",
    "UnknownClientEvent",
    "UnknownServerEvent",
    "UnknownTranslationClientEvent",
    "UnknownTranslationServerEvent",
    "UnknownWebhookEvent",
    "decode",
    "decode_client",
    "decode_translation",
    "decode_translation_client",
    "decode_webhook",
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


class UnknownTranslationServerEvent(_Unknown, frozen=True, kw_only=True):
    """A translation server frame that is a JSON object but not a valid known event."""


class UnknownTranslationClientEvent(_Unknown, frozen=True, kw_only=True):
    """A translation client frame that is a JSON object but not a valid known event."""


class UnknownWebhookEvent(_Unknown, frozen=True, kw_only=True):
    """A webhook body that is a JSON object but not a valid known webhook event."""


AnyServerEvent: TypeAlias = ServerEvent | UnknownServerEvent
AnyClientEvent: TypeAlias = ClientEvent | UnknownClientEvent
AnyTranslationServerEvent: TypeAlias = TranslationServerEvent | UnknownTranslationServerEvent
AnyTranslationClientEvent: TypeAlias = TranslationClientEvent | UnknownTranslationClientEvent
AnyWebhookEvent: TypeAlias = WebhookEvent | UnknownWebhookEvent


class _Decodes(Protocol):
    def decode(self, data: bytes | str, /) -> ServerEvent: ...


class _BuildOnFirstUse:
    """Stands for the server-event decoder until the first frame: building it takes ~10 ms (every event
    type's struct info), which ``import realtime_sdk`` then does not pay; ``decode`` replaces it."""

    def decode(self, data: bytes | str, /) -> ServerEvent:
        global _server
        _server = msgspec.json.Decoder(ServerEvent)
        return _server.decode(data)


_server: _Decodes = _BuildOnFirstUse()
_lazy: dict[object, msgspec.json.Decoder[Any]] = {}
"""The other protocols' decoders, built on first use (a conversation session decodes server events only)."""


def _decoder(union: object) -> msgspec.json.Decoder[Any]:
    decoder = _lazy.get(union)
    if decoder is None:
        decoder = _lazy[union] = msgspec.json.Decoder(union)
    return decoder


_plain = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


def decode(data: bytes | str) -> AnyServerEvent:
    """Decode one server frame."""
    try:
        return _server.decode(data)
    except msgspec.ValidationError as exc:
        return UnknownServerEvent(**_fallback(data, exc, SERVER_EVENT_TYPES))
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_an_object(exc) from None


def decode_client(data: bytes | str) -> AnyClientEvent:
    """Decode one client frame (the local server and recordings use this)."""
    try:
        return _decoder(ClientEvent).decode(data)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        return UnknownClientEvent(**_fallback(data, exc, CLIENT_EVENT_TYPES))
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_an_object(exc) from None


def decode_translation(data: bytes | str) -> AnyTranslationServerEvent:
    """Decode one server frame of a translation session (``/v1/realtime/translations``)."""
    try:
        return _decoder(TranslationServerEvent).decode(data)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        return UnknownTranslationServerEvent(**_fallback(data, exc, TRANSLATION_SERVER_EVENT_TYPES))
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_an_object(exc) from None


def decode_translation_client(data: bytes | str) -> AnyTranslationClientEvent:
    """Decode one client frame of a translation session (the local server uses this)."""
    try:
        return _decoder(TranslationClientEvent).decode(data)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        return UnknownTranslationClientEvent(**_fallback(data, exc, TRANSLATION_CLIENT_EVENT_TYPES))
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_an_object(exc) from None


def decode_webhook(data: bytes | str) -> AnyWebhookEvent:
    """Decode one webhook body (``realtime.call.incoming``...); verify its signature before trusting it."""
    try:
        return _decoder(WebhookEvent).decode(data)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        return UnknownWebhookEvent(**_fallback(data, exc, WEBHOOK_EVENT_TYPES))
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_an_object(exc) from None


# The functions above stay separate on purpose: each is one typed decode on the hot path, with the
# except clauses ordered so that ValidationError (a DecodeError subclass) is caught first.


def _not_an_object(exc: Exception) -> ProtocolError:
    if isinstance(exc, RecursionError):
        return ProtocolError("frame is nested too deeply to decode")
    return ProtocolError(f"frame is not JSON: {exc}")


def _fallback(data: bytes | str, exc: msgspec.ValidationError, known: dict[str, type]) -> dict[str, Any]:
    """The fields of an unknown event for a frame the typed decoder refused."""
    try:
        raw = _plain.decode(data)
    except (msgspec.DecodeError, RecursionError) as inner:
        # the typed decode can stop at a validation error before it reaches broken JSON further on,
        # and it skips nesting that this decode has to build
        raise _not_an_object(inner) from None
    if not isinstance(raw, dict):
        raise ProtocolError(f"frame is not a JSON object but {type(raw).__name__}")
    type_ = raw.get("type")
    if not isinstance(type_, str):
        error = f"unknown event type: the frame has no string 'type' ({exc})"
        return {"type": "", "raw": raw, "error": error}
    if type_ not in known:
        return {"type": type_, "raw": raw, "error": f"unknown event type {type_!r}"}
    return {"type": type_, "raw": raw, "error": str(exc)}  # msgspec says what and where: `$.delta`


def encode(event: msgspec.Struct | dict[str, Any]) -> bytes:
    """Encode an event (or an unknown event's raw frame) to JSON bytes."""
    if isinstance(event, _Unknown):
        return _encoder.encode(event.raw)
    return _encoder.encode(event)
