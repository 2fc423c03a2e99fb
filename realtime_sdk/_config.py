"""Session configuration arithmetic, no I/O: merge changes into the known configuration, and diff it.

Theory of operation
-------------------
The SDK keeps the configuration it last had confirmed (``session.updated``).  An update is merged into it
(containers ``audio``, ``audio.input``, ``audio.output`` merge field by field, every other value is
replaced whole), then compared field by field at the top level: only top-level fields whose value changed
are sent.  A changed container is sent whole (merged), because whether the server merges nested objects
or replaces them is not something the API reference promises; sending the merged whole is right either way.

Pipecat writes ``turn_detection=False`` to switch server VAD off; the API wants ``null``.  ``normalise``
turns ``False`` into ``None`` (which msgspec sends as ``null``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from ._generated import (
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateRequestGAAudio,
    RealtimeSessionCreateRequestGAAudioInput,
    RealtimeSessionCreateRequestGAAudioOutput,
)

__all__ = ["as_properties", "diff", "merge", "normalise"]

_CONTAINERS = (
    RealtimeSessionCreateRequestGAAudio,
    RealtimeSessionCreateRequestGAAudioInput,
    RealtimeSessionCreateRequestGAAudioOutput,
)


def as_properties(
    value: RealtimeSessionCreateRequestGA | dict[str, Any] | None,
) -> RealtimeSessionCreateRequestGA:
    """Accept the struct or a plain dict (as Pipecat's ``settings`` dict) and return the struct."""
    if value is None:
        return RealtimeSessionCreateRequestGA()
    if isinstance(value, RealtimeSessionCreateRequestGA):
        return value
    if isinstance(value, dict):
        return _from_fields(value)
    raise TypeError(f"session properties must be SessionProperties or a dict, not {type(value).__name__}")


def _from_fields(fields: dict[str, Any]) -> RealtimeSessionCreateRequestGA:
    known = set(RealtimeSessionCreateRequestGA.__struct_fields__)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"unknown session properties: {', '.join(unknown)}")
    plain = {k: v for k, v in fields.items() if not isinstance(v, msgspec.Struct)}
    structs = {k: v for k, v in fields.items() if isinstance(v, msgspec.Struct)}
    # Plain values (dicts from JSON, lists...) are validated by msgspec; struct values pass as they are.
    base = msgspec.convert({**plain, "type": "realtime"}, RealtimeSessionCreateRequestGA)
    return msgspec.structs.replace(base, **structs) if structs else base


def merge(base: msgspec.Struct, update: msgspec.Struct) -> Any:
    """``base`` with every field set in ``update`` laid over it; containers merge recursively."""
    changes: dict[str, Any] = {}
    for name in update.__struct_fields__:
        new = getattr(update, name)
        if new is UNSET:
            continue
        old = getattr(base, name)
        if isinstance(new, _CONTAINERS) and type(old) is type(new):
            new = merge(old, new)
        changes[name] = new
    return msgspec.structs.replace(base, **changes) if changes else base


def diff(
    old: RealtimeSessionCreateRequestGA, new: RealtimeSessionCreateRequestGA
) -> RealtimeSessionCreateRequestGA | None:
    """The top-level fields of ``new`` that differ from ``old`` (``None`` when nothing did)."""
    changed = {
        name: getattr(new, name)
        for name in new.__struct_fields__
        if getattr(new, name) is not UNSET and getattr(new, name) != getattr(old, name)
    }
    return RealtimeSessionCreateRequestGA(**changed) if changed else None


def normalise(props: RealtimeSessionCreateRequestGA) -> RealtimeSessionCreateRequestGA:
    """Translate Pipecat's ``turn_detection=False`` into ``None`` (sent as ``null``: VAD off)."""
    audio = props.audio
    if not isinstance(audio, RealtimeSessionCreateRequestGAAudio):
        return props
    audio_in = audio.input
    if not isinstance(audio_in, RealtimeSessionCreateRequestGAAudioInput):
        return props
    if audio_in.turn_detection is not False:  # type: ignore[comparison-overlap]
        return props
    audio_in = msgspec.structs.replace(audio_in, turn_detection=None)
    return msgspec.structs.replace(props, audio=msgspec.structs.replace(audio, input=audio_in))
