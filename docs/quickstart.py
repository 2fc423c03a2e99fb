"""Quickstart: one text turn with the Realtime API.

With OPENAI_API_KEY set it talks to OpenAI; without it, to the bundled local server (offline, no key).
"""

import asyncio
import contextlib
import os

from realtime_sdk import RealtimeSession, SessionProperties
from realtime_sdk.server import LocalRealtimeServer


async def main() -> None:
    async with contextlib.AsyncExitStack() as stack:
        options = {}
        if not os.environ.get("OPENAI_API_KEY"):
            server = await stack.enter_async_context(LocalRealtimeServer())
            options = {"api_key": server.api_key, "base_url": server.url}

        session = await stack.enter_async_context(
            RealtimeSession(
                session_properties=SessionProperties(
                    instructions="Answer in one short sentence.",
                    output_modalities=["text"],
                ),
                **options,
            )
        )
        await session.add_item("Hello! What can you do?")
        response = await session.create_response()
        print(await response.text())

        # Every server event is typed; iterate the session to see them all, or a response for its own.
        await session.update_session(instructions="Now answer in French.")
        await session.add_item("And in French?")
        response = await session.create_response()
        async for event in response:
            if event.type == "response.output_text.delta":
                print(event.delta, end="", flush=True)
        print()


if __name__ == "__main__":
    asyncio.run(main())
