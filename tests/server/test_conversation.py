"""conversation.item.create / retrieve / delete / truncate."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel


def user_text(text: str, **extra: object) -> dict[str, object]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        **extra,
    }


async def test_create_appends_and_reports_previous_item(server, connect) -> None:
    async with connect(server) as client:
        await client.send(user_text("one"))
        a1, d1 = await client.recv(), await client.recv()
        assert (a1.type, d1.type) == ("conversation.item.added", "conversation.item.done")
        assert (
            a1.previous_item_id is None and a1.item.status == "completed" and a1.item.id.startswith("item_")
        )
        await client.send(user_text("two"))
        a2 = await client.expect("conversation.item.added")
        assert a2.previous_item_id == a1.item.id


async def test_previous_item_id_root_and_middle(server, connect) -> None:
    async with connect(server) as client:
        await client.send(user_text("a", event_id="x"))
        a = (await client.expect("conversation.item.done")).item
        await client.send(user_text("c"))
        c = (await client.expect("conversation.item.done")).item
        await client.send(user_text("b", previous_item_id=a.id))
        b = await client.expect("conversation.item.done")
        assert b.previous_item_id == a.id
        await client.send(user_text("first", previous_item_id="root"))
        first = await client.expect("conversation.item.done")
        assert first.previous_item_id is None
        conn = await server.wait_for_connection()
        assert [i.content[0].text for i in conn.items] == ["first", "a", "b", "c"]
        assert conn.items[-1].id == c.id


async def test_previous_item_id_unknown_is_an_error(server, connect) -> None:
    async with connect(server) as client:
        await client.send(user_text("x", previous_item_id="item_nope", event_id="e9"))
        error = (await client.recv()).error
        assert (error.code, error.param, error.event_id) == ("invalid_value", "previous_item_id", "e9")


async def test_client_item_id_kept_and_duplicates_refused(server, connect) -> None:
    async with connect(server) as client:
        event = user_text("x")
        event["item"]["id"] = "item_mine"  # type: ignore[index]
        await client.send(event)
        assert (await client.expect("conversation.item.added")).item.id == "item_mine"
        await client.send(event)
        assert (await client.error()).error.code == "item_id_already_exists"


async def test_wrong_content_type_like_the_recording(server, connect) -> None:
    # The recorded real session got exactly this for an assistant message with content type "text".
    async with connect(server) as client:
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {"type": "message", "role": "assistant", "content": [{"type": "text", "text": "Hi"}]},
            }
        )
        error = (await client.recv()).error
        assert (error.type, error.code, error.param) == (
            "invalid_request_error",
            "invalid_value",
            "item.content[0].type",
        )
        assert error.message == "Invalid value: 'text'. Value must be 'output_text' or 'output_audio'."
        assert error.event_id is None


ONE_PIXEL_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


async def test_system_message_audio_and_image_content(server, connect) -> None:
    async with connect(server) as client:
        for item in (
            {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": "AAAAAA=="}]},
            {
                "type": "message",
                "role": "user",
                # a 1×1 PNG: the server checks that an image URL holds an image
                "content": [{"type": "input_image", "image_url": "data:image/png;base64," + ONE_PIXEL_PNG}],
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "{}"},
        ):
            await client.send({"type": "conversation.item.create", "item": item})
            added = await client.expect("conversation.item.added")
            assert added.item.type == item["type"]
        conn = await server.wait_for_connection()
        audio_item = conn.items[1]
        # input audio is not echoed back in conversation.item.added, but is kept for the model (24 kHz PCM16)
        assert client.events[-6].item.content[0].audio is msgspec.UNSET
        assert len(conn.protocol.conversation.user_audio[audio_item.id]) == 4


async def test_retrieve_and_delete(server, connect) -> None:
    async with connect(server) as client:
        await client.send(user_text("keep me"))
        item = (await client.expect("conversation.item.done")).item
        await client.send({"type": "conversation.item.retrieve", "item_id": item.id})
        assert (await client.recv()).item.content[0].text == "keep me"
        await client.send({"type": "conversation.item.delete", "item_id": item.id})
        deleted = await client.recv()
        assert deleted.type == "conversation.item.deleted" and deleted.item_id == item.id
        await client.send({"type": "conversation.item.retrieve", "item_id": item.id, "event_id": "r1"})
        error = (await client.recv()).error
        assert (error.code, error.event_id) == ("item_retrieve_invalid_item_id", "r1")
        await client.send({"type": "conversation.item.delete", "item_id": item.id})
        error = (await client.recv()).error
        assert error.code == "item_delete_invalid_item_id"
        assert error.message == f"Error deleting item: the item with id '{item.id}' does not exist."


async def _audio_reply(client) -> str:
    await client.send(user_text("speak"))
    await client.send({"type": "response.create"})
    done = await client.expect("response.done")
    await client.expect("rate_limits.updated")
    return done.response.output[0].id


@pytest.fixture
async def audio_server():
    model = ScriptedModel([Reply.audio(np.zeros(24000, dtype="<i2").tobytes(), transcript="one second")])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv:
        yield srv


async def test_truncate_assistant_audio(audio_server, connect) -> None:
    async with connect(audio_server) as client:
        item_id = await _audio_reply(client)
        await client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": 0,
                "audio_end_ms": 400,
            }
        )
        truncated = await client.recv()
        assert (truncated.type, truncated.item_id, truncated.audio_end_ms) == (
            "conversation.item.truncated",
            item_id,
            400,
        )
        await client.send({"type": "conversation.item.retrieve", "item_id": item_id})
        assert (await client.recv()).item.content[0].transcript == ""  # the unheard transcript is dropped


async def test_truncate_beyond_audio_is_the_real_error(audio_server, connect) -> None:
    async with connect(audio_server) as client:
        item_id = await _audio_reply(client)
        await client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": 0,
                "audio_end_ms": 1500,
                "event_id": "t1",
            }
        )
        error = (await client.recv()).error
        assert error.message == "Audio content of 1000ms is already shorter than 1500ms"
        assert (error.code, error.param, error.event_id) == ("invalid_value", "audio_end_ms", "t1")


async def test_truncate_while_the_item_still_streams(connect) -> None:
    """As on the real service, an item can be cut right after ``response.cancel``, before the run closed it;
    the cut holds when the run finishes, and going past what was sent so far is still the real error."""
    model = ScriptedModel([Reply.audio(np.ones(24000 * 3, dtype="<i2").tobytes(), transcript="a b c d")])
    async with (
        LocalRealtimeServer(rate_limits="every", model=model, pace_audio=True) as srv,
        connect(srv) as client,
    ):
        await client.send(user_text("speak"))
        await client.send({"type": "response.create"})
        delta = await client.expect("response.output_audio.delta")  # 100 ms sent so far
        await client.send({"type": "response.cancel"})
        await client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": delta.item_id,
                "content_index": 0,
                "audio_end_ms": 3000,
                "event_id": "t1",
            }
        )
        await client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": delta.item_id,
                "content_index": 0,
                "audio_end_ms": 50,
            }
        )
        events = await client.until("response.done")
        errors = [e for e in events if e.type == "error"]
        assert [(e.error.event_id, e.error.code) for e in errors] == [("t1", "invalid_value")]
        assert [e.audio_end_ms for e in events if e.type == "conversation.item.truncated"] == [50]
        assert events[-1].response.status == "cancelled"
        conn = srv.connections[0]
        assert conn.protocol.conversation.assistant_audio_ms[delta.item_id] == 50
        await client.send({"type": "conversation.item.retrieve", "item_id": delta.item_id})
        retrieved = await client.expect("conversation.item.retrieved")
        assert retrieved.item.content[0].transcript == ""


async def test_truncate_unknown_item_and_non_audio_item(server, connect) -> None:
    async with connect(server) as client:
        await client.send(
            {"type": "conversation.item.truncate", "item_id": "item_x", "content_index": 0, "audio_end_ms": 0}
        )
        assert (await client.recv()).error.code == "item_truncate_invalid_item_id"
        await client.send(user_text("hi"))
        item = (await client.expect("conversation.item.done")).item
        await client.send(
            {"type": "conversation.item.truncate", "item_id": item.id, "content_index": 0, "audio_end_ms": 0}
        )
        assert (await client.recv()).error.code == "unsupported_content_type"


async def test_truncate_missing_field_is_missing_required_parameter(server, connect) -> None:
    async with connect(server) as client:
        await client.send({"type": "conversation.item.truncate", "item_id": "x", "event_id": "m1"})
        error = (await client.recv()).error
        assert (error.code, error.param, error.event_id) == (
            "missing_required_parameter",
            "content_index",
            "m1",
        )
