"""Images and video frames on the session: ``send_image``, ``send_video_frame``, pausing video.

Theory of operation
-------------------
``send_image`` checks and encodes the image in a worker thread (reading a file, decoding WebP or
encoding pixels is CPU or disk work that must not stall the reader), then adds it as a user message with
``add_item``: every refusal (``ImageError``, or ``ConfigurationError`` when Pillow is missing) comes
from the call, before anything is sent.

Video frames go through one ``VideoInput`` per session.  ``send_video_frame`` checks the frame at once
(what can be checked without decoding it), copies an array (a camera may reuse its buffer) and offers it
to the pure ``vision.FrameScheduler``, which decides the rate (``video_fps``), that the latest frame
wins and what pausing drops.  One worker task, started by the first frame, waits until a frame is due,
encodes it to JPEG in a thread (downscaled to what ``video_frame_detail`` can use), sends it as a user
message item unless a pause came meanwhile, and deletes the frame items beyond ``video_frames_kept``
with ``conversation.item.delete``.  A frame that cannot be encoded or that the server refuses is logged
and skipped: video is a stream, the next frame is already on its way.  The worker ends with the session
(``close()`` cancels it; a session that ended makes its send raise ``ConnectionClosed``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .._generated import ConversationItemDeleted, RealtimeConversationItem
from ..errors import ConnectionClosed, ImageError, RealtimeError
from ..vision import (
    SENDABLE_MIME,
    FrameScheduler,
    ImageInput,
    check_detail,
    decode_data_url,
    encode_frame,
    frame_message,
    probe,
)
from ..vision._data_url import has_scheme, split_data_url
from ..vision._encode import check_array, is_array, is_pillow_image, pillow

if TYPE_CHECKING:
    from ..events import AnyServerEvent

__all__ = ["VideoInput", "check_frame"]

log = logging.getLogger("realtime_sdk")


def check_frame(frame: ImageInput) -> ImageInput:
    """What ``send_video_frame`` checks before accepting a frame: the frame to keep (arrays copied)."""
    if is_array(frame):
        pillow()  # pixels need the encoder: say so now, not in the worker
        return check_array(frame).copy()
    if is_pillow_image(frame):
        return frame.copy()  # type: ignore[union-attr]  # is_pillow_image says it is one
    if isinstance(frame, bytes | bytearray | memoryview):
        data = bytes(frame)
    elif isinstance(frame, str) and split_data_url(frame) is not None:
        data = decode_data_url(frame)
    elif isinstance(frame, str | os.PathLike):
        text = os.fspath(frame)
        if has_scheme(text):
            raise ImageError(f"only data: URLs can be sent, not {text[:40]!r}")
        if not os.path.isfile(text):
            raise ImageError(f"no image file at {text!r}")
        return frame  # read and checked when it is encoded (a disk read does not belong on the loop)
    else:
        raise ImageError(f"cannot send a {type(frame).__name__} as a video frame")
    info = probe(data)
    if info is None:
        raise ImageError(f"not a PNG, JPEG, WebP or GIF image (it starts with {data[:8]!r})")
    if info.mime not in SENDABLE_MIME:
        pillow()  # WebP and GIF are converted
    return data


class VideoInput:
    """Frame pacing, encoding and sending for one session (see the module docstring)."""

    WANTS = ("conversation.item.deleted",)
    """The events ``observe`` reads."""

    def __init__(
        self,
        *,
        add_item: Callable[[RealtimeConversationItem], Awaitable[RealtimeConversationItem]],
        delete_item: Callable[[str], Awaitable[None]],
        ended: Callable[[], RealtimeError | None],
        detail: str,
        fps: float,
        keep: int,
        paused: bool,
    ) -> None:
        self.detail = check_detail(detail)
        self.scheduler: FrameScheduler[ImageInput] = FrameScheduler(fps=fps, keep=keep, paused=paused)
        self.frames_sent = 0
        """Frame items the server acknowledged."""
        self._add_item = add_item
        self._delete_item = delete_item
        self._ended = ended
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def offer(self, frame: ImageInput) -> bool:
        kept = check_frame(frame)
        ended = self._ended()
        if ended is not None:
            raise ended
        accepted = self.scheduler.offer(kept, asyncio.get_running_loop().time())
        if accepted:
            self._wake.set()
            if self._task is None or self._task.done():
                self._task = asyncio.ensure_future(self._run())
                self._task.set_name("realtime_sdk video")
        return accepted

    def set_paused(self, paused: bool) -> None:
        self.scheduler.set_paused(paused)
        self._wake.set()

    def observe(self, event: AnyServerEvent) -> None:
        if isinstance(event, ConversationItemDeleted):
            self.scheduler.forget(event.item_id)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        scheduler = self.scheduler
        while True:
            due = scheduler.due()
            if due is None or due > loop.time():
                self._wake.clear()
                try:
                    async with asyncio.timeout(None if due is None else due - loop.time()):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                continue
            slot = scheduler.take(loop.time())
            if slot is None:  # pragma: no cover - due() said a frame is due
                continue
            item_id: str | None = None
            try:
                encoded = await asyncio.to_thread(encode_frame, slot.frame, self.detail)
                if scheduler.may_send(slot):
                    added = await self._add_item(frame_message(encoded, self.detail))
                    item_id = added.id if isinstance(added.id, str) else None
                    self.frames_sent += 1
            except ConnectionClosed:
                scheduler.sent(slot, None)
                return  # the session is over (or not connected): the next frame starts a new worker
            except RealtimeError as exc:  # a frame that cannot be encoded, or that the server refused
                log.warning("video frame not sent: %s", exc)
            for old in scheduler.sent(slot, item_id):
                try:
                    await self._delete_item(old)
                except ConnectionClosed:
                    return
                except RealtimeError as exc:
                    log.info("could not delete the old frame item %s: %s", old, exc)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
