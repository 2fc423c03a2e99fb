"""The session configuration: defaults like the real service's, ``session.update`` merging, validation.

The configuration is kept as plain JSON data (what goes on the wire) and turned into the generated
``RealtimeSessionCreateResponseGA`` struct when sent.  An update is merged into a copy and validated as a
whole; on any error the copy is dropped, so the session is unchanged.

Merging follows the recordings: top-level fields are replaced; ``audio.input`` / ``audio.output`` are
merged field by field; a given ``turn_detection`` or ``transcription`` replaces the old one and is filled
with the service's defaults (a ``server_vad`` given as ``{"type": "server_vad"}`` comes back with
threshold 0.5, prefix_padding_ms 300 and the model's silence_duration_ms ...).  ``instructions: ""`` is
ignored, as the real service ignores it (its built-in prompt stays).

Transcription sessions (``type: "transcription"``) have their own, smaller shape: the input audio side only
(format, transcription, noise reduction, turn detection) and ``include``.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from .._generated import (
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateResponseGA,
    RealtimeTranscriptionSessionCreateRequestGA,
    RealtimeTranscriptionSessionCreateResponseGA,
)
from ._errors import ClientError
from ._profiles import profile_for

DEFAULT_INSTRUCTIONS = "You are the local Realtime test server. Answer briefly."

SERVER_VAD_DEFAULTS: dict[str, Any] = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 200,
    "idle_timeout_ms": None,
    "create_response": True,
    "interrupt_response": True,
}
SEMANTIC_VAD_DEFAULTS: dict[str, Any] = {
    "type": "semantic_vad",
    "eagerness": "auto",
    "create_response": True,
    "interrupt_response": True,
}


SESSION_SECONDS = 3600
"""A session lasts 60 minutes (``expires_at`` is creation + 3600 s, as recorded)."""


def default_session(session_id: str, model: str, expires_at: int) -> dict[str, Any]:
    pcm = {"type": "audio/pcm", "rate": 24000}
    profile = profile_for(model)
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": expires_at,
        "audio": {
            "input": {
                "format": dict(pcm),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {**SERVER_VAD_DEFAULTS, "silence_duration_ms": profile.silence_duration_ms},
            },
            "output": {"format": dict(pcm), "voice": profile.voice, "speed": 1.0},
        },
        "include": None,
    }


def default_transcription_session(session_id: str, expires_at: int) -> dict[str, Any]:
    """A transcription session as ``session.created`` shows it before any update."""
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": session_id,
        "expires_at": expires_at,
        "include": None,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": "gpt-realtime-whisper", "language": None, "prompt": None},
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                },
            }
        },
    }


def to_struct(
    session: dict[str, Any],
) -> RealtimeSessionCreateResponseGA | RealtimeTranscriptionSessionCreateResponseGA:
    if session["type"] == "transcription":
        return msgspec.convert(session, RealtimeTranscriptionSessionCreateResponseGA)
    return msgspec.convert(session, RealtimeSessionCreateResponseGA)


def merge_transcription(
    current: dict[str, Any], update: RealtimeTranscriptionSessionCreateRequestGA
) -> dict[str, Any]:
    """The transcription session after ``update`` (raises ``ClientError`` and changes nothing if invalid)."""
    new = copy.deepcopy(current)
    changes: dict[str, Any] = msgspec.to_builtins(update)
    if "include" in changes:
        new["include"] = changes["include"]
    part = (changes.get("audio") or {}).get("input") or {}
    _refuse_nulls(part, frozenset({"format"}), "session.audio.input")
    target = new["audio"]["input"]
    for key, value in part.items():
        if key == "format":
            target[key] = _format(value, "session.audio.input.format")
        elif key == "turn_detection" and value is not None:
            if value.get("type") != "server_vad":
                raise ClientError(
                    "invalid_value",
                    f"Invalid value: '{value.get('type')}'. Value must be 'server_vad'.",
                    "session.audio.input.turn_detection.type",
                )
            target[key] = {
                "type": "server_vad",
                "threshold": value.get("threshold", 0.5),
                "prefix_padding_ms": value.get("prefix_padding_ms", 300),
                "silence_duration_ms": value.get("silence_duration_ms", 500),
            }
        elif key == "transcription" and value is not None:
            target[key] = {"model": "gpt-realtime-whisper", "language": None, "prompt": None, **value}
        else:
            target[key] = value
    td = target.get("turn_detection")
    if td is not None:
        p = "session.audio.input.turn_detection"
        check_range(td.get("threshold"), 0.0, 1.0, f"{p}.threshold")
        check_range(td.get("prefix_padding_ms"), 0, 10_000, f"{p}.prefix_padding_ms")
        check_range(td.get("silence_duration_ms"), 0, 10_000, f"{p}.silence_duration_ms")
    _check_noise_reduction(target)
    return new


def merge(current: dict[str, Any], update: RealtimeSessionCreateRequestGA) -> dict[str, Any]:
    """The session after ``update``; raises ``ClientError`` (and changes nothing) when it is invalid."""
    new = copy.deepcopy(current)
    changes: dict[str, Any] = msgspec.to_builtins(update)
    changes.pop("type", None)
    changes.pop("parallel_tool_calls", None)
    audio = changes.pop("audio", None) or {}
    if changes.get("instructions") == "":
        del changes["instructions"]  # the real service keeps its prompt
    _refuse_nulls(changes, NEVER_NULL, "session")
    new.update(changes)
    for side in ("input", "output"):
        part = audio.get(side) or {}
        _refuse_nulls(part, NEVER_NULL_AUDIO[side], f"session.audio.{side}")
        target = new["audio"][side]
        for key, value in part.items():
            if key == "format":
                target[key] = _format(value, f"session.audio.{side}.format")
            elif key == "turn_detection" and value is not None:  # null: manual turns
                if value.get("type") == "server_vad":
                    silence = profile_for(str(new.get("model", ""))).silence_duration_ms
                    defaults = {**SERVER_VAD_DEFAULTS, "silence_duration_ms": silence}
                else:
                    defaults = SEMANTIC_VAD_DEFAULTS
                target[key] = {**defaults, **value}
            elif key == "transcription" and value is not None:
                target[key] = {"model": None, "language": None, "prompt": None, **value}
            else:
                target[key] = value
    validate(new)
    return new


# Fields the service always holds a value for (they never show as null in session.updated): an explicit
# null is refused rather than stored, so the session stays usable.  The others (turn_detection,
# transcription, noise_reduction, tracing, prompt, include) take null as "off".
NEVER_NULL = frozenset({"output_modalities", "instructions", "tools", "tool_choice", "max_output_tokens"})
NEVER_NULL_AUDIO = {"input": frozenset({"format"}), "output": frozenset({"format", "voice", "speed"})}


def _refuse_nulls(changes: dict[str, Any], never_null: frozenset[str], at: str) -> None:
    for key in sorted(never_null):
        if key in changes and changes[key] is None:
            raise ClientError(
                "invalid_type",
                f"Invalid type for '{at}.{key}': expected a value, but got null instead.",
                f"{at}.{key}",
            )


def _format(value: dict[str, Any], param: str) -> dict[str, Any]:
    if value.get("type") == "audio/pcm":
        rate = value.get("rate") or 24000
        if rate != 24000:
            raise ClientError(
                "invalid_value", f"Invalid value: {rate}. Supported values are: 24000.", f"{param}.rate"
            )
        return {"type": "audio/pcm", "rate": 24000}
    return {"type": value["type"]}


def check_range(value: Any, low: float, high: float, param: str) -> None:
    if value is None:
        return
    kind = "integer" if isinstance(value, int) else "decimal"
    if value < low:
        raise ClientError(
            f"{kind}_below_min_value",
            f"Invalid '{param}': {kind} below minimum value. Expected a value >= {low}, but got {value} instead.",
            param,
        )
    if value > high:
        raise ClientError(
            f"{kind}_above_max_value",
            f"Invalid '{param}': {kind} above maximum value. Expected a value <= {high}, but got {value} instead.",
            param,
        )


def check_tools(tools: list[dict[str, Any]], param: str) -> None:
    """Function tools need a name, unique among them (``session.tools`` or a response's ``tools``)."""
    names: set[str] = set()
    for i, tool in enumerate(tools):
        if tool.get("type") == "function":
            name = tool.get("name")
            if not name:
                raise ClientError(
                    "missing_required_parameter",
                    f"Missing required parameter: '{param}[{i}].name'.",
                    f"{param}[{i}].name",
                )
            if name in names:
                raise ClientError("invalid_value", f"Duplicate tool name: '{name}'.", f"{param}[{i}].name")
            names.add(name)


def validate(session: dict[str, Any]) -> None:
    modalities = session.get("output_modalities") or ["audio"]
    if sorted(modalities) not in (["audio"], ["text"]):
        raise ClientError(
            "invalid_value",
            f"Invalid modalities: {modalities}. Supported combinations are: ['text'] and ['audio'].",
            "session.output_modalities",
        )
    tokens = session.get("max_output_tokens")
    if isinstance(tokens, int):
        check_range(tokens, 1, 4096, "session.max_output_tokens")
    choice = session.get("tool_choice")
    if isinstance(choice, str) and choice not in ("auto", "none", "required"):
        raise ClientError(
            "invalid_value",
            f"Invalid value: '{choice}'. Supported values are: 'auto', 'none', and 'required'.",
            "session.tool_choice",
        )
    check_tools(session.get("tools") or [], "session.tools")
    audio_in = session["audio"]["input"]
    td = audio_in.get("turn_detection")
    if td is not None:
        p = "session.audio.input.turn_detection"
        if td["type"] == "server_vad":
            check_range(td.get("threshold"), 0.0, 1.0, f"{p}.threshold")
            check_range(td.get("prefix_padding_ms"), 0, 10_000, f"{p}.prefix_padding_ms")
            check_range(td.get("silence_duration_ms"), 0, 10_000, f"{p}.silence_duration_ms")
            check_range(td.get("idle_timeout_ms"), 5_000, 30_000, f"{p}.idle_timeout_ms")
        elif td.get("eagerness") not in (None, "low", "medium", "high", "auto"):
            raise ClientError(
                "invalid_value",
                f"Invalid value: '{td.get('eagerness')}'. Supported values are: 'low', 'medium', 'high', and 'auto'.",
                f"{p}.eagerness",
            )
    _check_noise_reduction(audio_in)
    check_range(session["audio"]["output"].get("speed"), 0.25, 1.5, "session.audio.output.speed")


def _check_noise_reduction(audio_in: dict[str, Any]) -> None:
    nr = audio_in.get("noise_reduction")
    if nr is not None and nr.get("type") not in ("near_field", "far_field"):
        raise ClientError(
            "invalid_value",
            f"Invalid value: '{nr.get('type')}'. Supported values are: 'near_field' and 'far_field'.",
            "session.audio.input.noise_reduction.type",
        )
