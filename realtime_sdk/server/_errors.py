"""Error events as the real service words them.

Codes and messages follow what the real GA service was seen to send (``invalid_value`` with
``Invalid value: 'x'. ...``, ``conversation_already_has_active_response``, ``response_cancel_not_active``,
``input_audio_buffer_commit_empty``, ``item_*_invalid_item_id`` ...).  Where the real wording is unknown the
shape is kept (type ``invalid_request_error``, a stable ``code``, ``param`` naming the field).
"""

from __future__ import annotations

import re

from msgspec import UNSET, UnsetType

from .._generated import Error, ErrorError
from ._ids import new_id


class ClientError(Exception):
    """A client event the server refuses: becomes one ``error`` event; nothing else changes."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


def error_event(
    code: str | None,
    message: str,
    *,
    param: str | None = None,
    event_id: str | UnsetType | None = None,
    type: str = "invalid_request_error",
) -> Error:
    return Error(
        event_id=new_id("event"),
        error=ErrorError(
            type=type,
            code=code,
            message=message,
            param=param,
            event_id=None if event_id is UNSET else event_id,
        ),
    )


_AT = re.compile(r" - at `\$\.?(.*)`$")


def _param(path: str) -> str:
    return path.replace("`", "")


def from_validation(error: str) -> ClientError:
    """Translate msgspec's validation message for a known event into the real service's terms."""
    match = _AT.search(error)
    where = _param(match.group(1)) if match else ""
    text = error[: match.start()] if match else error
    missing = re.match(r"Object missing required field `(\w+)`", text)
    if missing:
        param = f"{where}.{missing.group(1)}" if where else missing.group(1)
        return ClientError("missing_required_parameter", f"Missing required parameter: '{param}'.", param)
    value = re.match(r"Invalid (?:enum )?value '?(.*?)'?$", text)
    if value:
        return ClientError("invalid_value", f"Invalid value: '{value.group(1)}'.", where or None)
    if text.startswith("Invalid base64"):
        return ClientError("invalid_value", f"Invalid '{where}': expected base64-encoded audio.", where)
    expected = re.match(r"Expected `(.+)`, got `(.+)`", text)
    if expected:
        return ClientError(
            "invalid_type",
            f"Invalid type for '{where}': expected {expected.group(1)}, but got {expected.group(2)} instead.",
            where or None,
        )
    return ClientError("invalid_value", f"Invalid value at '{where}': {text}", where or None)
