"""Only the last ``video_frames_kept`` frame items stay in the conversation: older ones are deleted.

The frames are PNG bytes written by hand (sent as they are), so these tests need no Pillow.  Each frame
is offered after the previous one reached the server, so each opens its own ``video_fps`` window: the
test waits on what the server received, never on the clock.
"""

from __future__ import annotations

import asyncio

import pytest

from realtime_sdk import ConfigurationError, RealtimeSession
from realtime_sdk._generated import ConversationItemDelete, ConversationItemDeleted
from realtime_sdk.server import LocalRealtimeServer
from realtime_sdk.server.connection import ServerConnection

from .session_support import KEY, image_creates, image_of, plain_png, sdk_tasks, server, wait_image_creates

__all__ = ["server"]


def deletes(conn: ServerConnection) -> list[str]:
    return [e.item_id for e in conn.received if isinstance(e, ConversationItemDelete)]


@pytest.mark.parametrize("kept", [1, 2])
async def test_frames_beyond_video_frames_kept_are_deleted_oldest_first(
    server: LocalRealtimeServer, kept: int
) -> None:
    total = kept + 3
    frames = [plain_png(16, 12, 40 * n) for n in range(total)]
    async with (
        asyncio.timeout(15),
        RealtimeSession(KEY, base_url=server.url, video_fps=50.0, video_frames_kept=kept) as s,
    ):
        conn = server.connections[0]
        deleted: list[str] = []
        all_deleted = asyncio.Event()

        def on_deleted(event: ConversationItemDeleted) -> None:
            deleted.append(event.item_id)
            if len(deleted) == total - kept:
                all_deleted.set()

        s.on(ConversationItemDeleted, on_deleted)
        question = await s.add_item("what changed between the frames?")  # not a frame: never deleted
        for n, data in enumerate(frames):
            assert await s.send_video_frame(data)
            await wait_image_creates(conn, n + 1)  # out before the next frame opens its window
        await all_deleted.wait()  # the client saw the server confirm every delete

        creates = image_creates(conn)
        sent = [image_of(str(c.item.content[0].image_url))[1] for c in creates]  # type: ignore[union-attr]
        assert sent == frames  # one item per frame, in order
        ids = [c.item.id for c in creates]
        assert all(isinstance(i, str) for i in ids) and len(set(ids)) == total
        oldest, newest = ids[: total - kept], ids[total - kept :]
        assert deletes(conn) == oldest == deleted
        # The server's conversation holds the question and the last `kept` frames, nothing else.
        assert [item.id for item in conn.items] == [question.id, *newest]
        assert [item.id for item in s.conversation.items] == [question.id, *newest]
    assert not sdk_tasks()


async def test_an_item_deleted_by_the_app_frees_its_place(server: LocalRealtimeServer) -> None:
    async with (
        asyncio.timeout(15),
        RealtimeSession(KEY, base_url=server.url, video_fps=50.0, video_frames_kept=2) as s,
    ):
        conn = server.connections[0]
        for n in range(2):
            await s.send_video_frame(plain_png(8, 8, n))
            await wait_image_creates(conn, n + 1)
        first, second = (c.item.id for c in image_creates(conn))
        assert isinstance(first, str) and isinstance(second, str)
        await s.delete_item(first)
        await s.send_video_frame(plain_png(8, 8, 2))
        third = (await wait_image_creates(conn, 3))[-1].item.id
        await s.add_item("after the third frame")  # a round trip: a delete sent before it has arrived
        # Two frames are in the conversation again, so nothing more is deleted.
        assert deletes(conn) == [first]
        assert [item.id for item in conn.items][:2] == [second, third]


@pytest.mark.parametrize("kept", [0, -1, 1.5, True, "3", None])
def test_video_frames_kept_must_be_a_whole_number_of_at_least_one(kept: object) -> None:
    with pytest.raises(ConfigurationError, match="video_frames_kept"):
        RealtimeSession(KEY, base_url="ws://127.0.0.1:9", video_frames_kept=kept)  # type: ignore[arg-type]
