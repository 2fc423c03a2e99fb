"""What outlives a connection: whether a lost one is replaced, when to roll over, which echoes to hide.

Theory of operation
-------------------
``Continuity`` holds the decisions of a reconnect; the edge (``session/_reconnect.py``) owns the sockets,
the sleeps and the tasks, and asks:

- ``should_reconnect(code, armed=, closing=)``: a connection that ended with no close code, with one of
  the policy's codes, or right after an ``error`` with code ``session_expired`` (seen by ``receive``) is
  replaced, once ``connect()`` has succeeded (``armed``) and unless the app is closing.
- ``rollover_at(expires_at, now)``: when to replace the session before the server ends it —
  ``expires_at - margin``, but never before half of the session's life (a server whose sessions are
  shorter than the margin would otherwise be rolled over the moment each one starts, without end), and
  not at all when less than ``MIN_ROLLOVER_LIFE`` seconds are left (a clock running fast, or an odd
  ``expires_at``: a new session could be no better).
- ``quiet(...)``: a rollover waits for no response active or being created, no tool call being answered
  and the user not speaking.
- While restoring (``begin_restore()`` … ``end_restore()``): the new connection's greeting and
  configuration answer are hidden from the app (``hides``), and so are the acknowledgements of the items
  the restore re-created (``restoring_items``, then ``is_echo``, until each item's ``conversation.item.done``): the app saw those
  items once already.

No I/O and no clock reads: times come in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .._generated import (
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemDone,
    Error,
    SessionCreated,
    SessionUpdated,
)
from ..events import AnyServerEvent, ClientEvent

__all__ = ["ABNORMAL_CLOSE_CODES", "MIN_ROLLOVER_LIFE", "Continuity"]

ABNORMAL_CLOSE_CODES = frozenset({1006, 1011, 1012, 1013})
"""Close codes that mean the connection, not the session, ended: a dropped TCP connection or a missed
heartbeat (1006), a server error (1011), a restart (1012), try again later (1013)."""

MIN_ROLLOVER_LIFE = 1.0
"""Seconds: a session with less life left than this is not rolled over."""


class Continuity:
    def __init__(self, *, close_codes: frozenset[int] = ABNORMAL_CLOSE_CODES, margin: float = 120.0) -> None:
        self.close_codes = close_codes
        self.margin = margin
        self.expired = False
        """The server said ``session_expired`` on this connection."""
        self.restoring = False
        self._echoes: set[str] = set()

    def receive(self, event: AnyServerEvent) -> None:
        if isinstance(event, Error) and event.error.code == "session_expired":
            self.expired = True

    def connected(self) -> None:
        """A connection is ready (the first, or a replacement): what the old one said is forgotten."""
        self.expired = False

    @property
    def reason(self) -> Literal["dropped", "expired"]:
        return "expired" if self.expired else "dropped"

    def should_reconnect(self, code: int | None, *, armed: bool, closing: bool) -> bool:
        if not armed or closing:
            return False
        return code is None or code in self.close_codes or self.expired

    def rollover_at(self, expires_at: float, now: float) -> float | None:
        """The time to roll over at (by the clock ``now`` was read from), or ``None``: never."""
        life = expires_at - now
        if life <= MIN_ROLLOVER_LIFE:
            return None
        return max(expires_at - self.margin, now + life / 2)

    @staticmethod
    def quiet(*, responding: bool, creating: bool, tools_busy: bool, speaking: bool) -> bool:
        return not (responding or creating or tools_busy or speaking)

    def begin_restore(self) -> None:
        """A new connection is being opened and restored: its greeting and configuration are hidden."""
        self.restoring = True

    def restoring_items(self, events: Iterable[ClientEvent]) -> None:
        """The restore is about to send ``events``: their items' acknowledgements are echoes."""
        self._echoes = {
            e.item.id for e in events if isinstance(e, ConversationItemCreate) and isinstance(e.item.id, str)
        }

    def end_restore(self) -> None:
        self.restoring = False

    def is_echo(self, event: AnyServerEvent) -> bool:
        """An acknowledgement of a restored item: for the restore's waiters only, not the app."""
        if not self._echoes:
            return False
        if isinstance(event, ConversationItemAdded | ConversationItemCreated | ConversationItemDone):
            item_id = event.item.id
            if isinstance(item_id, str) and item_id in self._echoes:
                if isinstance(event, ConversationItemDone):
                    self._echoes.discard(item_id)
                return True
        return False

    def hides(self, event: AnyServerEvent) -> bool:
        """The new connection's greeting and configuration answer, while restoring."""
        return self.restoring and isinstance(event, SessionCreated | SessionUpdated)
