"""The session keeps conversation state: every event it receives reaches ``session.conversation``."""

from __future__ import annotations

from realtime_sdk import RealtimeSession
from realtime_sdk.server import LocalRealtimeServer


async def test_items_and_usage_follow_the_server(server: LocalRealtimeServer) -> None:
    async with RealtimeSession(
        server.api_key, base_url=server.url, session_properties={"output_modalities": ["text"]}
    ) as session:
        await session.add_item("first")
        first = await (await session.create_response()).done()
        await session.add_item("second")
        second = await (await session.create_response()).done()
        conn = server.connections[0]
        assert [item.id for item in session.conversation.items] == [item.id for item in conn.items]
        texts = [part.text for item in session.conversation.items for part in item.content if part.text]
        assert texts[0] == "first" and "second" in texts
        usages = [first.usage, second.usage]
        assert session.conversation.usage.total_tokens == sum(u.total_tokens for u in usages if u)  # type: ignore[misc]
