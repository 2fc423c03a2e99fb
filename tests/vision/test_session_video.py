"""Video frames through the session: paused frames never leave, the latest frame of a window wins."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest

from realtime_sdk import RealtimeSession
from realtime_sdk.server import LocalRealtimeServer

from .session_support import KEY, image_creates, image_of, sdk_tasks, server, wait_image_creates

__all__ = ["server"]

Image = pytest.importorskip("PIL.Image", reason="video frames are encoded with Pillow (realtime-sdk[video])")


def frame(level: int) -> np.ndarray:
    return np.full((480, 640, 3), level, dtype=np.uint8)


def mean_level(url: str) -> float:
    mime, data = image_of(url)
    assert mime == "image/jpeg"
    with Image.open(io.BytesIO(data)) as img:
        return float(np.asarray(img.convert("L")).mean())


def parts(conn_item: object) -> list[object]:
    return [p for p in getattr(conn_item, "content", ()) if getattr(p, "type", None) == "input_image"]


async def test_paused_frames_never_arrive_and_the_next_one_after_resuming_does(
    server: LocalRealtimeServer,
) -> None:
    async with (
        asyncio.timeout(15),
        RealtimeSession(
            KEY, base_url=server.url, start_video_paused=True, video_frame_detail="low", video_fps=20.0
        ) as s,
    ):
        conn = server.connections[0]
        assert s.video_paused
        assert [await s.send_video_frame(frame(10)) for _ in range(5)] == [False] * 5
        s.set_video_input_paused(False)
        assert await s.send_video_frame(frame(200))
        (created,) = await wait_image_creates(conn, 1)
        (part,) = parts(created.item)
        assert getattr(part, "detail", None) == "low"
        assert mean_level(str(getattr(part, "image_url", ""))) == pytest.approx(200, abs=3)
        await s.add_item("after the frames")  # a round trip: anything sent before it has arrived
        assert len(image_creates(conn)) == 1  # none of the paused frames
    assert not sdk_tasks()


async def test_thirty_frames_in_a_window_make_one_item_the_latest(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(15), RealtimeSession(KEY, base_url=server.url, video_fps=1.0) as s:
        conn = server.connections[0]
        for level in range(30):
            await s.send_video_frame(frame(level * 8))
        (created,) = await wait_image_creates(conn, 1)
        (part,) = parts(created.item)
        level = mean_level(str(getattr(part, "image_url", "")))
        # The first frame may open the window; what is sent for the burst is one item, of the latest frame.
        assert level == pytest.approx(29 * 8, abs=3), level
        with pytest.raises(TimeoutError):  # the window (1 s) ends with nothing more to send
            await asyncio.wait_for(wait_image_creates(conn, 2), 1.5)
        assert len(image_creates(conn)) == 1
