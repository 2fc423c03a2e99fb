"""Text that grows by deltas, kept as its pieces and joined once, when it is read.

``part.text = part.text + delta`` copies the whole text on every delta: a stream of N deltas costs
O(N²) characters copied.  A :class:`JoinedText` attribute keeps the appended pieces in a list instead and
joins them the first time the attribute is read after an append (and keeps the joined string, so reading
again costs nothing until the next append).  Reading and assigning the attribute behave as for a plain
``str`` (or ``str | None``) attribute; only :func:`append` and :func:`share` know about the pieces.

The attributes are dataclass fields (``text: str | None = joined(None)``): the dataclass's ``__init__``,
``__repr__`` and ``__eq__`` go through the descriptor, so they see the joined text.
"""

from __future__ import annotations

from typing import Any


class Pieces:
    """The pieces of one growing text.  ``owner`` is the object that appends to it; another object that
    shows the same text (:func:`share`) reads it, and copies it before appending to it."""

    __slots__ = ("owner", "parts")

    def __init__(self, owner: object, parts: list[str]) -> None:
        self.owner = owner
        self.parts = parts

    def join(self) -> str:
        parts = self.parts
        if len(parts) != 1:
            parts[:] = ["".join(parts)]
        return parts[0]


class JoinedText:
    """A data descriptor for a ``str`` (or ``str | None``) attribute that :func:`append` grows cheaply.

    The instance's ``__dict__`` holds, under the attribute's own name, either the value (``str`` or
    ``None``) or a :class:`Pieces`."""

    def __init__(self, default: str | None) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> str | None:
        if obj is None:
            return self.default  # the class attribute: the dataclass reads its default here
        value: str | Pieces | None = obj.__dict__.get(self.name, self.default)
        return value.join() if isinstance(value, Pieces) else value

    def __set__(self, obj: object, value: str | None) -> None:
        obj.__dict__[self.name] = value


def joined(default: str | None) -> Any:
    """A :class:`JoinedText` field with this default (typed ``Any`` so that the field keeps its plain
    ``str`` / ``str | None`` annotation for type checkers and the docs)."""
    return JoinedText(default)


def append(obj: object, name: str, piece: str) -> None:
    """``obj.<name> = (obj.<name> or "") + piece``, without copying the text so far."""
    state = obj.__dict__
    value = state.get(name)
    if type(value) is Pieces and value.owner is obj:  # the hot path: one more delta
        if piece:
            value.parts.append(piece)
        return
    if isinstance(value, Pieces):
        value = value.join()  # another object's text: this one grows a copy
    if not piece:
        state[name] = value or ""  # "" + "" is "": the attribute stops being None
        return
    state[name] = Pieces(obj, [value, piece] if value else [piece])


def share(obj: object, name: str, source: object, source_name: str) -> None:
    """``obj.<name> = source.<source_name>``, and keep showing it as ``source`` appends to it."""
    value = source.__dict__.get(source_name)
    obj.__dict__[name] = value if isinstance(value, Pieces) else getattr(source, source_name)


def unshare(obj: object, name: str) -> None:
    """Stop showing another object's growing text: keep what it says now."""
    value = obj.__dict__.get(name)
    if isinstance(value, Pieces) and value.owner is not obj:
        obj.__dict__[name] = value.join()


def is_empty(obj: object, name: str) -> bool:
    """``not obj.<name>``, without joining the pieces."""
    value = obj.__dict__.get(name)
    return not value.parts if isinstance(value, Pieces) else not value
