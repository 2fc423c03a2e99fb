"""Images through a session: send_image, history=, the restore after a reconnect, refusals, usage."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import msgspec
import pytest

from realtime_sdk import (
    ConfigurationError,
    ImageError,
    RealtimeSession,
    Reconnected,
    image_message,
    text_message,
)
from realtime_sdk._generated import (
    ConversationItemCreate,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
)
from realtime_sdk.server import LocalRealtimeServer

from .conftest import encoded, gradient
from .session_support import KEY, image_of, instant_reconnect, sdk_tasks, server, wait_image_creates

__all__ = ["server"]

TEXT_ONLY = {"output_modalities": ["text"]}


@pytest.fixture(autouse=True)
async def no_sdk_task_left() -> AsyncIterator[None]:
    yield
    assert sdk_tasks() == set()


def parts(item: object) -> list[tuple[object, ...]]:
    assert isinstance(item, RealtimeConversationItemMessage)
    return [
        tuple(v if isinstance(v, str) else None for v in (p.type, p.text, p.image_url, p.detail))
        for p in item.content
    ]


async def test_send_image_arrives_as_a_png_data_url_with_detail_high(server: LocalRealtimeServer) -> None:
    png = encoded(640, 480, "PNG")
    async with RealtimeSession(KEY, base_url=server.url, session_properties=TEXT_ONLY) as session:
        item_id = await session.send_image(png, detail="high")
        conn = server.connections[0]
        (create,) = await wait_image_creates(conn, 1)
        assert create.item.id == item_id
        (part,) = create.item.content  # type: ignore[union-attr]
        assert part.type == "input_image" and part.detail == "high"
        assert isinstance(part.image_url, str) and part.image_url.startswith("data:image/png;base64,")
        assert image_of(part.image_url) == ("image/png", png)  # PNG bytes go out untouched
        # The server's conversation holds it, and the conversation state shows the part.
        assert parts(conn.items[-1]) == [("input_image", None, part.image_url, "high")]
        local = session.conversation.item(item_id)
        assert local is not None and local.placed
        (shown,) = local.content
        assert (shown.type, shown.image_url, shown.detail) == ("input_image", part.image_url, "high")

        handle = await session.create_response()
        assert await handle.text() == "I see a 640×480 image"
        usage = session.conversation.responses[handle.id].usage
        # The published rule: detail high keeps 640×480 (inside 2048², short side under 768), which is
        # 2×1 tiles of 512 px: 85 + 2 × 170.
        assert usage is not None and usage.input_image_tokens == 85 + 2 * 170


async def test_send_image_with_text_puts_the_question_first_and_encodes_arrays(
    server: LocalRealtimeServer,
) -> None:
    async with RealtimeSession(KEY, base_url=server.url, session_properties=TEXT_ONLY) as session:
        await session.send_image(gradient(300, 200), "What colour is it?", detail="low")
        (create,) = await wait_image_creates(server.connections[0], 1)
        text, image = create.item.content  # type: ignore[union-attr]
        assert (text.type, text.text) == ("input_text", "What colour is it?")
        assert image.detail == "low"
        assert isinstance(image.image_url, str)
        mime, data = image_of(image.image_url)
        assert mime == "image/png" and data.startswith(b"\x89PNG\r\n\x1a\n")
        handle = await session.create_response()
        assert await handle.text() == "I see a 300×200 image. You said: What colour is it?"
        usage = session.conversation.responses[handle.id].usage
        assert usage is not None and usage.input_image_tokens == 85  # low: a flat 85


@pytest.mark.parametrize(
    ("image", "detail", "match"),
    [
        (encoded(8, 8, "PNG"), "ultra", "detail must be"),
        (b"this is not an image at all", "auto", "not a PNG, JPEG"),
        ("http://example.com/cat.png", "auto", "only data: URLs"),
        ("https://example.com/cat.png", "auto", "only data: URLs"),
        (gradient(8, 8).astype("float32"), "auto", "must be uint8"),
        (gradient(8, 8)[:, :, 0], "auto", "H×W×3"),
        ("data:image/png;base64,@@@not-base64@@@", "auto", "malformed"),
    ],
    ids=["ultra", "not-an-image", "http", "https", "float-array", "2d-array", "broken-base64"],
)
async def test_send_image_refusals_are_typed_and_send_nothing(
    server: LocalRealtimeServer, image: object, detail: str, match: str
) -> None:
    async with RealtimeSession(KEY, base_url=server.url) as session:
        conn = server.connections[0]
        before = len(conn.received)
        with pytest.raises(ImageError, match=match):
            await session.send_image(image, detail=detail)  # type: ignore[arg-type]
        # Nothing left the client: a round trip after the refusal is the next thing the server sees.
        await session.add_item("after")
        assert [e.type for e in conn.received[before:]] == ["conversation.item.create"]
        assert parts(conn.items[-1]) == [("input_text", "after", None, None)]


async def test_hand_built_image_parts_are_checked_before_add_item_sends(server: LocalRealtimeServer) -> None:
    async with RealtimeSession(KEY, base_url=server.url) as session:
        conn = server.connections[0]
        before = len(conn.received)
        for url, detail in (
            ("http://example.com/a.png", "auto"),
            ("data:image/png;base64," + base64.b64encode(b"plain text").decode(), "auto"),
            ("data:image/png;base64," + base64.b64encode(encoded(4, 4, "PNG")).decode(), "ultra"),
        ):
            part = RealtimeConversationItemMessageContentItem(
                type="input_image", image_url=url, detail=detail
            )
            with pytest.raises(ImageError):
                await session.add_item(RealtimeConversationItemMessage(role="user", content=[part]))
        assert conn.received[before:] == []


def test_bad_history_images_and_video_options_fail_at_construction() -> None:
    bad = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_image", "image_url": "http://example.com/a.png"}],
    }
    with pytest.raises(ImageError, match="data: URL"):
        RealtimeSession(KEY, base_url="ws://127.0.0.1:9", history=[bad])
    with pytest.raises(ImageError, match="detail must be"):
        RealtimeSession(KEY, base_url="ws://127.0.0.1:9", video_frame_detail="ultra")
    for fps in (0, -1.0, float("nan")):
        with pytest.raises(ConfigurationError, match="video_fps"):
            RealtimeSession(KEY, base_url="ws://127.0.0.1:9", video_fps=fps)
    with pytest.raises(ConfigurationError, match="at least 1"):
        RealtimeSession(KEY, base_url="ws://127.0.0.1:9", video_frames_kept=0)


async def test_history_image_is_held_with_its_detail_and_survives_a_dropped_connection(
    server: LocalRealtimeServer,
) -> None:
    png = encoded(64, 48, "PNG")
    history = [
        text_message("system", "Describe what you are shown."),
        image_message(png, text="What is this?", detail="low"),
        text_message("assistant", "A gradient."),
    ]
    session = RealtimeSession(
        KEY, base_url=server.url, history=history, session_properties=TEXT_ONLY, reconnect=instant_reconnect()
    )
    async with session:
        conn0 = server.connections[0]
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        expected = [
            [("input_text", "Describe what you are shown.", None, None)],
            [("input_text", "What is this?", None, None), ("input_image", None, url, "low")],
            [("output_text", "A gradient.", None, None)],
        ]
        assert [parts(i) for i in conn0.items] == expected
        await session.add_item("And now?")
        ids = [i.id for i in conn0.items]

        reconnected = asyncio.get_running_loop().create_future()
        session.on(Reconnected, reconnected.set_result)
        await conn0.drop()
        async with asyncio.timeout(10):
            notice = await reconnected
        assert isinstance(notice, Reconnected) and notice.restored_items == 4
        assert notice.not_restored == ()  # nothing in this conversation had to change
        conn1 = server.connections[1]
        assert [i.id for i in conn1.items] == ids
        assert [parts(i) for i in conn1.items] == [*expected, [("input_text", "And now?", None, None)]]
        # The restored image is a real one to the server: it still sees and counts it.
        handle = await session.create_response()
        assert await handle.text() == "You said: And now?"
        usage = session.conversation.responses[handle.id].usage
        assert usage is not None and usage.input_image_tokens == 85


async def test_restore_sends_the_image_that_was_sent_when_the_server_never_echoes_it(
    server: LocalRealtimeServer,
) -> None:
    # The service is not documented to echo an image's URL back: strip it from every echo and the
    # restore still has it, from what the session sent.
    png = encoded(20, 10, "PNG")
    session = RealtimeSession(KEY, base_url=server.url, reconnect=instant_reconnect())
    async with session:
        conn0 = server.connections[0]
        original = conn0.protocol.emit

        def without_urls(event: msgspec.Struct) -> None:
            item = getattr(event, "item", None)
            if isinstance(item, RealtimeConversationItemMessage):
                content = [
                    RealtimeConversationItemMessageContentItem(type=p.type, detail=p.detail)
                    if p.type == "input_image"
                    else p
                    for p in item.content
                ]
                event = msgspec.structs.replace(event, item=msgspec.structs.replace(item, content=content))
            original(event)

        conn0.protocol.emit = without_urls
        item_id = await session.send_image(png, "look", detail="high")
        local = session.conversation.item(item_id)
        assert local is not None and local.content[1].image_url is not None

        reconnected = asyncio.get_running_loop().create_future()
        session.on(Reconnected, reconnected.set_result)
        await conn0.drop()
        async with asyncio.timeout(10):
            await reconnected
        restored = [e for e in server.connections[1].received if isinstance(e, ConversationItemCreate)]
        assert [parts(e.item) for e in restored] == [
            [
                ("input_text", "look", None, None),
                ("input_image", None, "data:image/png;base64," + base64.b64encode(png).decode(), "high"),
            ]
        ]


async def test_assistant_audio_that_cannot_go_back_is_named_in_reconnected(
    server: LocalRealtimeServer,
) -> None:
    session = RealtimeSession(KEY, base_url=server.url, reconnect=instant_reconnect())
    async with session:
        await session.add_item("Hello there")
        handle = await session.create_response()  # the echo model answers in audio
        await handle.done()
        (reply,) = [i for i in session.conversation.items if i.role == "assistant"]
        assert reply.content[0].type == "output_audio" and reply.content[0].transcript

        reconnected = asyncio.get_running_loop().create_future()
        session.on(Reconnected, reconnected.set_result)
        await server.connections[0].drop()
        async with asyncio.timeout(10):
            notice = await reconnected
        assert isinstance(notice, Reconnected)
        assert len(notice.not_restored) == 1
        assert notice.not_restored[0].startswith(f"{reply.id} content[0]: assistant audio")
        assert "transcript" in notice.not_restored[0]
        restored = server.connections[1].items
        assert parts(restored[-1]) == [("output_text", reply.content[0].transcript, None, None)]
