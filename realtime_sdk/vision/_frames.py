"""Which video frames go out, and which frame items leave the conversation: pure state, time passed in.

The rules:

- **Rate**: at most ``fps`` frames a second.  A frame offered when none is waiting opens a window of
  ``1/fps`` seconds; when it closes, the *latest* frame offered in it goes out (30 frames offered within
  one second at ``fps=1`` give one frame, the thirtieth).  So a frame waits at most ``1/fps``.
- **Latest wins**: while a frame is being encoded or sent, a newly offered frame replaces the one
  waiting; there is never more than one frame waiting and one in flight.
- **Paused**: an offered frame is dropped, the waiting one too, and a frame that was being encoded when
  the pause came is not sent (``may_send`` says so).  Nothing is queued for later.
- **Bounded conversation**: the items of the last ``keep`` frames stay; ``sent`` returns the ids of
  older ones, for the session to remove with ``conversation.item.delete``.

The session drives it (see ``FrameScheduler`` for the calls); no clock is read here and nothing waits.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Generic, TypeVar

import msgspec

from ..errors import ConfigurationError

__all__ = ["DEFAULT_KEEP", "FrameScheduler", "Slot"]

F = TypeVar("F")

DEFAULT_KEEP = 3
"""Frame items kept in the conversation: enough for the model to see motion, few enough to stay cheap."""


class Slot(msgspec.Struct, Generic[F], frozen=True):
    """A frame taken to be encoded and sent; hand it back to ``may_send`` and ``sent``."""

    frame: F
    ticket: int


class FrameScheduler(Generic[F]):
    """Video frame pacing for one session.

    The session calls ``offer(frame, now)`` from ``send_video_frame``; waits until ``due()`` (or a new
    offer) and calls ``take(now)``; encodes the slot's frame off the loop; sends it only if
    ``may_send(slot)``; then calls ``sent(slot, item_id)`` (``item_id=None`` if nothing was sent) and
    deletes the item ids it returns.  ``set_paused`` pauses and resumes; ``forget`` drops an item the
    conversation lost some other way (deleted by the app, or not restored after a reconnect).
    """

    def __init__(self, *, fps: float = 1.0, keep: int = DEFAULT_KEEP, paused: bool = False) -> None:
        if isinstance(fps, bool) or not isinstance(fps, int | float) or not math.isfinite(fps) or fps <= 0:
            raise ConfigurationError(f"video_fps must be a positive number of frames per second, not {fps!r}")
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ConfigurationError(
                f"video_frames_kept (how many frame items to keep in the conversation) must be a whole "
                f"number of at least 1, not {keep!r}"
            )
        self.interval = 1.0 / fps
        self.keep = keep
        self._paused = paused
        self._waiting: F | None = None
        self._has_waiting = False
        self._due = 0.0
        self._in_flight: int | None = None
        self._ticket = 0
        self._items: deque[str] = deque()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def items(self) -> list[str]:
        """Ids of the frame items in the conversation, oldest first."""
        return list(self._items)

    def set_paused(self, paused: bool) -> None:
        """Pause or resume: while paused no frame is sent and the waiting one is dropped."""
        self._paused = paused
        if paused:
            self._waiting, self._has_waiting = None, False
            self._ticket += 1  # the frame in flight, if any, may no longer be sent

    def offer(self, frame: F, now: float) -> bool:
        """Offer a frame; ``False`` when paused (the frame is dropped)."""
        if self._paused:
            return False
        if not self._has_waiting:
            self._due = now + self.interval
        self._waiting, self._has_waiting = frame, True
        return True

    def due(self) -> float | None:
        """When ``take`` will have a frame: the time the waiting frame's window closes, or ``None``.

        ``None`` while nothing waits, or while a frame is in flight (``sent`` ends that).
        """
        if not self._has_waiting or self._in_flight is not None:
            return None
        return self._due

    def take(self, now: float) -> Slot[F] | None:
        """The frame to encode and send now, or ``None`` when none is due yet."""
        due = self.due()
        if due is None or now < due:
            return None
        frame = self._waiting
        self._waiting, self._has_waiting = None, False
        self._ticket += 1
        self._in_flight = self._ticket
        return Slot(frame, self._ticket)  # type: ignore[arg-type]  # _has_waiting guarantees a frame

    def may_send(self, slot: Slot[F]) -> bool:
        """Whether the encoded frame may still go out (no pause came since it was taken)."""
        return not self._paused and slot.ticket == self._ticket

    def sent(self, slot: Slot[F], item_id: str | None) -> list[str]:
        """The slot's frame is done (``item_id`` of its item, or ``None``); return frame items to delete."""
        self._in_flight = None
        if item_id is None:
            return []
        self._items.append(item_id)
        old: list[str] = []
        while len(self._items) > self.keep:
            old.append(self._items.popleft())
        return old

    def forget(self, item_id: str) -> None:
        """An item left the conversation some other way; it no longer counts towards ``keep``."""
        try:
            self._items.remove(item_id)
        except ValueError:
            pass
