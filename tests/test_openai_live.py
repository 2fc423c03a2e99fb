"""Against the real API: runs only with OPENAI_API_KEY set (and the internet); skipped everywhere else."""

from __future__ import annotations

import asyncio
import os

import pytest

from realtime_sdk import RealtimeSession, SessionProperties, tool

pytestmark = [
    pytest.mark.openai_api,
    pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY and the internet"),
]


async def test_text_turn_and_a_tool_round_trip_with_openai() -> None:
    calls: list[str] = []

    @tool
    def get_time(city: str) -> str:
        """The current local time in a city."""
        calls.append(city)
        return "12:00"

    properties = SessionProperties(
        instructions="Always use the get_time tool when asked for a time. Answer briefly.",
        output_modalities=["text"],
    )
    async with (
        asyncio.timeout(60),
        RealtimeSession(session_properties=properties, tools=[get_time]) as session,
    ):
        await session.add_item("What time is it in Paris?")
        answer = await (await session.create_response()).final()
        text = await answer.text()
    assert calls and "paris" in calls[0].lower()
    assert "12" in text
