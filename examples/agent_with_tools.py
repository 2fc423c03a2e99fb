"""A text agent with tools: the SDK runs the model's function calls and asks for the answer by itself.

One sync tool (run in a worker thread) and one async tool (awaited on the event loop); the conversation
is seeded with earlier messages (``history=``), so the agent knows where the user is flying from.

    python examples/agent_with_tools.py

Without OPENAI_API_KEY it talks to the bundled local server. Its echo model calls a tool only when told
to in so many words, ``call NAME({json})``, so offline each question carries that trigger.
"""

import asyncio
import contextlib
import os
from typing import Annotated, Any, Literal

from realtime_sdk import RealtimeSession, ToolCallFinished, ToolCallStarted, events, text_message, tool
from realtime_sdk.server import LocalRealtimeServer


@tool
def get_weather(city: Annotated[str, "City name"], unit: Literal["C", "F"] = "C") -> dict[str, object]:
    """Current weather for a city."""
    # A sync tool: a blocking call (a database, a sync HTTP client) is fine, it runs in a thread.
    return {"city": city, "temperature": 21 if unit == "C" else 70, "unit": unit, "sky": "sunny"}


@tool
async def find_flights(
    origin: Annotated[str, "Departure city"], destination: Annotated[str, "Arrival city"]
) -> list[dict[str, str]]:
    """Direct flights between two cities tomorrow."""
    # An async tool: it would await an HTTP API here; the SDK awaits it on the event loop.
    return [
        {"flight": "AF1081", "from": origin, "to": destination, "departs": "07:15"},
        {"flight": "BA304", "from": origin, "to": destination, "departs": "09:40"},
    ]


# Earlier turns of the conversation (from a database, another session...), sent in order on connect.
HISTORY = [
    text_message("user", "I live in London and I'm going to Paris tomorrow."),
    text_message("assistant", "Lovely! How can I help with your trip?"),
]

# (question, what the offline echo model needs to call the tool the real model would pick by itself)
QUESTIONS = [
    ("What will the weather be like there?", 'call get_weather({"city": "Paris"})'),
    ("Which flights can I take?", 'call find_flights({"origin": "London", "destination": "Paris"})'),
]


async def ask(session: RealtimeSession, question: str) -> str:
    """One user turn; returns the agent's answer once every tool call on the way was answered."""
    print(f"user: {question}")
    await session.add_item(question)
    await session.create_response()
    answer = ""
    async for event in session:  # every event, the SDK's own tool events included
        match event:
            case ToolCallStarted(call=call):  # auto-executed: the SDK is running the tool now
                print(f"  -> {call.name}({call.arguments})")
            case ToolCallFinished(call=call, result=result):  # sent back as a function_call_output
                print(f"  <- {call.name}: {result.output}{' (error)' if result.is_error else ''}")
            case events.ResponseOutputTextDone(text=text):
                answer = text
            case events.ResponseDone(response=done) if isinstance(done.id, str):
                # A response that called tools is followed by one the SDK asks for with their results;
                # the answer is the first response that called none.
                if not session.conversation.function_calls(done.id):
                    return answer
    raise RuntimeError("the session ended before the answer")


async def main() -> None:
    offline = not os.environ.get("OPENAI_API_KEY")
    async with contextlib.AsyncExitStack() as stack:
        connect: dict[str, Any] = {}  # the real API, with OPENAI_API_KEY from the environment
        if offline:
            server = await stack.enter_async_context(LocalRealtimeServer())
            connect = {"api_key": server.api_key, "base_url": server.url}
        session = await stack.enter_async_context(
            RealtimeSession(
                session_properties={
                    "instructions": "You are a travel agent. Use the tools; answer in one sentence.",
                    "output_modalities": ["text"],
                },
                tools=[get_weather, find_flights],  # auto_execute=True (the default): the SDK runs them
                history=HISTORY,
                **connect,
            )
        )
        async with asyncio.timeout(60):  # a hang guard
            for question, trigger in QUESTIONS:
                answer = await ask(session, f"{question} {trigger}" if offline else question)
                print(f"agent: {answer}")
        usage = session.conversation.usage
        print(f"({len(session.conversation.items)} items, {usage.total_tokens} tokens)")


if __name__ == "__main__":
    asyncio.run(main())
