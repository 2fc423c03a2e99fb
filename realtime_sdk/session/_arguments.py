"""What the app passes in, checked where it passes it: typed errors that name the public option.

Theory of operation
-------------------
A mistake is cheapest to fix at the line that made it.  So the constructor's options, the session
properties given to the constructor or to ``update_session``, and the items given to ``add_item`` are
checked here, before anything is sent, and a mistake raises ``ConfigurationError`` whose message names
what the app wrote (``update_session(instructions=...)``, ``RealtimeSession(foo=...)``) and, for a
misspelt name, the nearest right one.  Nothing here names a private function: the app never called one.

Three shortcuts reach into the nested session configuration, because they are what everyone types
first: ``voice`` (``audio.output.voice``), ``turn_detection`` and ``transcription``
(``audio.input.turn_detection``, ``audio.input.transcription``).  They work wherever a dict of session
properties does: ``update_session(voice="marin")`` and ``RealtimeSession(session_properties={...})``.
"""

from __future__ import annotations

import difflib
import math
import re
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec
from msgspec import UNSET

from .. import _config
from .._generated import RealtimeConversationItem, RealtimeSessionCreateRequestGA
from ..conversation import text_message
from ..errors import ConfigurationError, UnknownNameError

__all__ = [
    "SHORTCUTS",
    "check_chunk_ms",
    "check_options",
    "check_positive",
    "conversation_item",
    "session_properties",
    "suggest",
]

SHORTCUTS: dict[str, tuple[str, str]] = {
    "voice": ("output", "voice"),
    "turn_detection": ("input", "turn_detection"),
    "transcription": ("input", "transcription"),
}
"""Shortcut → where it goes under ``audio``."""

_RETIRED = {
    "modalities": "output_modalities",
    "input_audio_format": "audio={'input': {'format': ...}}",
    "output_audio_format": "audio={'output': {'format': ...}}",
    "input_audio_transcription": "transcription=... (audio.input.transcription)",
    "input_audio_noise_reduction": "audio={'input': {'noise_reduction': ...}}",
    "max_response_output_tokens": "max_output_tokens",
}
"""Names from the retired beta interface, which old examples still show, and what replaced them."""

_ITEM_TYPES = typing.get_args(RealtimeConversationItem)


def suggest(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the nearest known name, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_options(options: Mapping[str, Any], accepted: Iterable[str], where: str) -> None:
    """Refuse options ``where`` (``RealtimeSession()``...) does not take (``UnknownNameError``)."""
    known = sorted(accepted)
    unknown = sorted(set(options) - set(known))
    if unknown:
        name = unknown[0]
        raise UnknownNameError(f"{where} got an unknown option {name!r}{suggest(name, known)}")


def check_positive(name: str, value: object, *, optional: bool, unit: str = "seconds") -> None:
    """A finite number above 0 (or ``None`` when ``optional``), else ``ConfigurationError`` naming it."""
    if value is None and optional:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        allowed = " or None" if optional else ""
        raise ConfigurationError(f"{name} must be a positive number of {unit}{allowed}, not {value!r}")


def check_chunk_ms(value: object) -> None:
    """``audio_chunk_ms``: positive, and at least 1 ms (a smaller value is seconds given for milliseconds)."""
    check_positive("audio_chunk_ms", value, optional=False, unit="milliseconds")
    assert isinstance(value, int | float)
    if value < 1:
        raise ConfigurationError(
            f"audio_chunk_ms is in milliseconds: {value!r} ms is less than one; did you mean {value * 1000:g}?"
        )


def session_properties(
    value: RealtimeSessionCreateRequestGA | Mapping[str, Any] | None, where: str
) -> RealtimeSessionCreateRequestGA:
    """Session properties from the struct or a dict (shortcuts placed); mistakes name ``where``."""
    if value is None or isinstance(value, RealtimeSessionCreateRequestGA):
        return _config.as_properties(value)
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{where} takes SessionProperties or a dict of session properties, not {type(value).__name__}"
        )
    fields = dict(value)
    placed = {name: fields.pop(name) for name in SHORTCUTS if name in fields}
    known = RealtimeSessionCreateRequestGA.__struct_fields__
    for name in sorted(set(fields) - set(known)):
        hint = f"; use {_RETIRED[name]}" if name in _RETIRED else suggest(name, [*known, *SHORTCUTS])
        raise UnknownNameError(f"{where}: {name!r} is not a session property{hint}")
    props = _convert(fields, where)
    if not placed:
        return props
    audio: dict[str, dict[str, Any]] = {}
    for name, shortcut in placed.items():
        side, field = SHORTCUTS[name]
        if _nested(props, side, field) is not UNSET:
            raise ConfigurationError(f"{where}: {name}= and audio.{side}.{field} both given; keep one")
        audio.setdefault(side, {})[field] = shortcut
    return _config.merge(props, _convert({"audio": audio}, where))  # type: ignore[no-any-return]


def _nested(props: RealtimeSessionCreateRequestGA, side: str, field: str) -> Any:
    audio = props.audio
    part = getattr(audio, side, UNSET) if isinstance(audio, msgspec.Struct) else UNSET
    return getattr(part, field, UNSET) if isinstance(part, msgspec.Struct) else UNSET


_AT = re.compile(r" - at `\$\.?([^`]*)`$")


def _convert(fields: dict[str, Any], where: str) -> RealtimeSessionCreateRequestGA:
    try:
        return _config.as_properties(fields)
    except msgspec.ValidationError as exc:
        raise ConfigurationError(f"{where}: {_located(str(exc))}") from None


def _located(message: str) -> str:
    """msgspec's ``Expected X, got Y - at `$.a.b``` as ``a.b: expected X, got Y`` (or the shortcut)."""
    found = _AT.search(message)
    if found is None:
        return message
    path = found.group(1)
    for name, (side, field) in SHORTCUTS.items():
        if path == f"audio.{side}.{field}" or path.startswith(f"audio.{side}.{field}."):
            path = name + path[len(f"audio.{side}.{field}") :]
            break
    text = message[: found.start()]
    return f"{path}: {text[:1].lower()}{text[1:]}"


def conversation_item(
    item: object, role: Literal["user", "system", "assistant"], where: str
) -> RealtimeConversationItem:
    """An item from an item struct, a dict of one (as ``history=`` takes) or a string (a text message)."""
    if isinstance(item, str):
        return text_message(role, item)
    if isinstance(item, _ITEM_TYPES):
        return item  # type: ignore[no-any-return]
    if isinstance(item, Mapping):
        try:
            converted: RealtimeConversationItem = msgspec.convert(dict(item), RealtimeConversationItem)
        except msgspec.ValidationError as exc:
            raise ConfigurationError(f"{where}: not a conversation item: {_located(str(exc))}") from None
        return converted
    raise ConfigurationError(
        f"{where} takes a conversation item (text_message(...), a RealtimeConversationItem), a dict of one "
        f"or a string, not {type(item).__name__}"
    )
