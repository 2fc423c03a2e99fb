"""What the local server knows of one SIP/WebRTC call, shared by call control and the sideband websocket.

A call is known by its ``call_id`` (``rtc_...``).  Call control (``/realtime/calls``, accept, reject,
refer, hangup) creates and changes it; a websocket on ``?call_id=`` joins it as a sideband: the session
configuration given at ``accept`` is the sideband session's starting configuration.  ``CallRegistry.get``
with ``create=True`` lets a test open a sideband on a call nobody created first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._generated import RealtimeSessionCreateRequestGA
from ._ids import new_id
from ._profiles import DEFAULT_MODEL


@dataclass
class CallState:
    """One call the local server knows: its id, model, accepted configuration, status and sidebands."""

    call_id: str
    model: str = DEFAULT_MODEL
    session: RealtimeSessionCreateRequestGA | None = None
    """The configuration given when the call was accepted (the sideband starts from it)."""
    status: str = "incoming"
    """``incoming``, ``accepted``, ``rejected``, ``referred`` or ``ended`` (call control sets it)."""
    sidebands: list[int] = field(default_factory=list)
    """Indexes (in ``LocalRealtimeServer.connections``) of the sideband websockets that joined it."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Room for call control's own data (SDP, SIP headers, refer target ...)."""


class CallRegistry:
    """The local server's calls by id, shared by call control and the sideband websocket."""

    def __init__(self) -> None:
        self.calls: dict[str, CallState] = {}

    def new(self, *, model: str = DEFAULT_MODEL) -> CallState:
        """A new incoming call with a fresh ``rtc_`` id."""
        call = CallState(new_id("rtc"), model=model)
        self.calls[call.call_id] = call
        return call

    def get(self, call_id: str, *, create: bool = False) -> CallState | None:
        """The call ``call_id``; with ``create``, a new one under that id when it is unknown."""
        call = self.calls.get(call_id)
        if call is None and create:
            call = self.calls[call_id] = CallState(call_id)
        return call
