"""The base of every generated struct."""

from __future__ import annotations

from typing import Any

import msgspec


class Struct(msgspec.Struct, kw_only=True, gc=False):
    """A wire object: keyword-only, untracked by the garbage collector (events are trees, never cycles).

    Tagged structs (every event, every variant of a union) keep their wire ``type`` in the struct's tag;
    ``.type`` reads it, so ``event.type`` works on every event although msgspec stores no field for it.
    Each generated tagged class also declares ``type: ClassVar[Literal["<wire type>"]]`` (an annotation
    only, no value): type checkers then know the exact string and narrow unions on ``event.type == ...``.
    """

    @property
    def type(self) -> Any:
        return self.__struct_config__.tag


def repr_without(obj: msgspec.Struct, hidden: frozenset[str]) -> str:
    """``repr(obj)`` without the fields in ``hidden`` (a credential, test hooks)."""
    shown = ", ".join(f"{n}={getattr(obj, n)!r}" for n in obj.__struct_fields__ if n not in hidden)
    return f"{type(obj).__name__}({shown})"
