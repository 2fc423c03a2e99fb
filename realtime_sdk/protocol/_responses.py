"""Which responses exist, which the app asked for, and which are active: the one owner of these facts.

Theory of operation
-------------------
A response is known to the client by a *key*.  ``create_response`` picks the key itself (a tag it puts
into the response's metadata, ``sdk_response_id``, which the API echoes in ``response.created``) and
announces it with ``expect(tag, out_of_band=...)`` before sending.  A response the server started on its
own (server VAD, ``push_to_talk``'s commit with ``create_response`` on, a reconnect's restored turn, a
second client) has no tag: its key is the server's response id.

``receive(event)`` is called for every server event, in order, and answers with at most one output:

- ``response.created``: ``Started`` — which key, the server's id, whether the app asked for it (``tag``
  set) or the server started it, and whether it runs in the default conversation.  A response in the
  default conversation joins the *active* set (what ``create_response`` must wait for: the API refuses a
  second concurrent response with ``conversation_already_has_active_response``).
- any event naming a bound ``response_id``: ``Routed`` — the key it belongs to.
- ``response.done``: ``Ended`` — the key, and ``idle`` when no response is active any more.  The key is
  found by the response id, or else by the tag in the echoed metadata (a server that gave the response no
  id, or another one, in ``response.created``).

Three more ways a response stops being active: the app's request was refused before it started
(``withdraw``); the server said nothing about an active response for so long that it is presumed over
(``presume_over``, the edge decides when); the connection ended (``connection_lost``: nothing bound on it
will ever hear from the server again).

No I/O and no clock: the edge feeds events and turns outputs into handles, futures and streams.
"""

from __future__ import annotations

import msgspec

from .._generated import ResponseCreated, ResponseDone
from ..events import AnyServerEvent

__all__ = ["METADATA_KEY", "Ended", "ResponseBook", "Routed", "Started"]

METADATA_KEY = "sdk_response_id"
"""The response metadata key that carries a ``create_response`` tag (echoed in ``response.created``)."""


class Started(msgspec.Struct, frozen=True):
    """Output: a response began (``tag`` set when it answers a ``create_response``)."""

    key: str
    response_id: str | None
    tag: str | None
    """The tag of the ``create_response`` this answers; ``None`` when the server started the response."""
    out_of_band: bool


class Routed(msgspec.Struct, frozen=True):
    """Output: an event belongs to the response ``key``."""

    key: str


class Ended(msgspec.Struct, frozen=True):
    """Output: a response ended."""

    key: str | None
    """``None`` for a ``response.done`` of a response this client never saw start."""
    idle: bool
    """True when this ended the last active response in the default conversation."""


class ResponseBook:
    """The one owner of which responses exist, which the app asked for and which are active."""

    def __init__(self) -> None:
        self._expected: dict[str, bool] = {}  # tag -> out of band
        self._bound: dict[str, str] = {}  # server response id -> key
        self._started: dict[str, str | None] = {}  # key -> server response id, until its response.done
        self._active: set[str] = set()  # keys, default conversation only

    # -- the app's side -----------------------------------------------------------------------------

    def expect(self, tag: str, *, out_of_band: bool) -> None:
        """A ``response.create`` carrying ``tag`` is about to be sent."""
        self._expected[tag] = out_of_band

    def withdraw(self, tag: str) -> None:
        """The request for ``tag`` was refused or lost before ``response.created``: nothing will carry it."""
        self._expected.pop(tag, None)

    @property
    def active(self) -> frozenset[str]:
        """Keys of the responses active in the default conversation."""
        return frozenset(self._active)

    def key_of(self, response_id: str) -> str | None:
        """The key of a started, not yet ended response."""
        return self._bound.get(response_id)

    def is_active(self, response_id: str) -> bool:
        """Whether ``response_id`` is active in the default conversation."""
        key = self._bound.get(response_id)
        return key is not None and key in self._active

    def presume_over(self) -> frozenset[str]:
        """The server went quiet about the active responses: treat them as over (returns their keys)."""
        gone = frozenset(self._active)
        self._active.clear()
        return gone

    def connection_lost(self) -> None:
        """Nothing bound or expected on the lost connection will hear from the server again."""
        self._expected.clear()
        self._bound.clear()
        self._started.clear()
        self._active.clear()

    # -- the server's side --------------------------------------------------------------------------

    def receive(self, event: AnyServerEvent) -> Started | Routed | Ended | None:
        """What ``event`` means for the responses (see the module's docstring); ``None``: nothing."""
        if isinstance(event, ResponseCreated):
            return self._created(event)
        if isinstance(event, ResponseDone):
            return self._ended(event)
        key = self.key_for(event)
        return None if key is None else Routed(key)

    def key_for(self, event: AnyServerEvent) -> str | None:
        """The key of the started response ``event`` names by ``response_id``, if any (what ``receive``
        routes an event other than ``response.created`` / ``response.done`` to)."""
        if not self._bound:
            return None
        rid = getattr(event, "response_id", None)
        return self._bound.get(rid) if isinstance(rid, str) else None

    def _created(self, event: ResponseCreated) -> Started | Routed | None:
        response = event.response
        meta = response.metadata if isinstance(response.metadata, dict) else {}
        tag = meta.get(METADATA_KEY)
        rid = response.id if isinstance(response.id, str) else None
        if rid is not None and rid in self._bound:
            # The same response announced again (a retransmitting peer): one response, one key.
            return Routed(self._bound[rid])
        if isinstance(tag, str) and tag in self._expected:
            out_of_band = self._expected.pop(tag)
            key = tag
        elif rid is not None:
            # Started by the server, or by a request whose tag was withdrawn (it ran after all).  Counted
            # as in the conversation: a stray out-of-band one costs a wait, a missed active one a refusal.
            tag, out_of_band, key = None, False, rid
        else:
            return None  # nameless and untagged: nothing could ever be routed to it
        if rid is not None:
            self._bound[rid] = key
        self._started[key] = rid
        if not out_of_band:
            self._active.add(key)
        return Started(key, rid, tag, out_of_band)

    def _ended(self, event: ResponseDone) -> Ended:
        # By id, or else by the tag the metadata echoes: a server that named the response differently in
        # its response.created (or not at all) still ends the response the app is waiting for.
        rid = event.response.id if isinstance(event.response.id, str) else None
        key = self._bound.get(rid) if rid is not None else None
        if key is None:
            meta = event.response.metadata if isinstance(event.response.metadata, dict) else {}
            tag = meta.get(METADATA_KEY)
            key = tag if isinstance(tag, str) and tag in self._started else None
        if key is None:
            return Ended(None, idle=False)
        started_as = self._started.pop(key, None)
        for name in (rid, started_as):
            if name is not None and self._bound.get(name) == key:
                del self._bound[name]
        was_active = bool(self._active)
        self._active.discard(key)
        return Ended(key, idle=was_active and not self._active)
