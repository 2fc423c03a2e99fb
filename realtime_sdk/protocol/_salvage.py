"""What a known event that failed validation still says: its typed form without the fields that drifted.

A server may send a ``response.done`` whose ``usage`` has a shape the document does not know.  The app sees
such a frame as ``UnknownServerEvent`` (with the reason), but the response did end, and the session must act
on that: a handle waiting for its end would otherwise wait forever.  ``salvage`` rebuilds the typed event
from the raw frame, leaving out each part that fails validation: a field that has the wrong type is
dropped; an object that then lacks a required field is dropped from its parent (a list element goes, an
object member goes).  It gives up when the event itself lacks a required field (``response.done`` without
``response``): then nothing can be inferred.  The result is for the session's own bookkeeping; it is never
shown to the app as if the server had sent it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import msgspec

from .._generated.protocols import SERVER_EVENT_TYPES
from ..events import ServerEvent, UnknownServerEvent

__all__ = ["salvage"]

_AT = re.compile(r" - at `(\$[^`]*)`$")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_MAX_REPAIRS = 16  # each repair removes one part; a frame needing more is not worth guessing at


def salvage(event: UnknownServerEvent) -> ServerEvent | None:
    """The typed event ``event.raw`` would be without its invalid parts; ``None`` when that is impossible."""
    cls = SERVER_EVENT_TYPES.get(event.type)
    if cls is None:
        return None
    raw: Any = copy.deepcopy(event.raw)
    for _ in range(_MAX_REPAIRS + 1):  # up to _MAX_REPAIRS repairs, then the conversion that takes
        try:
            typed: ServerEvent = msgspec.convert(raw, cls)
            return typed
        except msgspec.ValidationError as exc:
            path = _path(str(exc))
            if not path or not _remove(raw, path):
                return None
        except RecursionError:
            return None
    return None


def _path(message: str) -> list[str | int] | None:
    """The steps of msgspec's ``$.a.b[0]`` location; ``None`` when there is none or it is not parseable."""
    found = _AT.search(message)
    if found is None:
        return None
    text = found.group(1)[1:]
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        step = _STEP.match(text, pos)
        if step is None:
            return None
        steps.append(step.group(1) if step.group(1) is not None else int(step.group(2)))
        pos = step.end()
    return steps


def _remove(root: Any, path: list[str | int]) -> bool:
    """Delete the part at ``path``; False when there is no such part."""
    parent = root
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if isinstance(last, str) and isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(last, int) and isinstance(parent, list) and 0 <= last < len(parent):
        del parent[last]
        return True
    return False
