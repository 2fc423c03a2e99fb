"""The observers of every decoded event, and the table that hands each event only to those that want it.

An observer is a plain function fed events first and in order (the conversation, input transcripts, the
tool runner, reconnects, approvals, video, the app's ``add_observer``).  One that names the event types it
reads (``wants``) is skipped for every other type: the reader looks the event's type up in a table built
on first sight of that type, instead of calling every observer for every delta.  Registration order is
kept within each type's list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..events import AnyServerEvent

__all__ = ["Observer", "Observers"]

Observer = Callable[[AnyServerEvent], None]


class Observers:
    def __init__(self) -> None:
        self._all: list[tuple[Observer, frozenset[str] | None]] = []
        self._table: dict[str, tuple[Observer, ...]] = {}

    def add(self, observer: Observer, wants: Iterable[str] | None = None) -> None:
        """Feed ``observer`` every event, or only events whose ``type`` is in ``wants``."""
        self._all.append((observer, None if wants is None else frozenset(wants)))
        self._table.clear()

    def __len__(self) -> int:
        return len(self._all)

    def of(self, kind: str) -> tuple[Observer, ...]:
        """The observers of an event of type ``kind``, in registration order."""
        found = self._table.get(kind)
        if found is None:
            found = self._table[kind] = tuple(o for o, wants in self._all if wants is None or kind in wants)
        return found
