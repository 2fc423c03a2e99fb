"""A text agent with tools: the SDK runs the model's function calls and asks for the answer by itself.

One sync tool (run in a worker thread) and one async tool (awaited on the event loop); the conversation
is seeded with earlier messages (``history=``), so the agent knows where the user is flying from.

    python examples/agent_with_tools.py

Without OPENAI_API_KEY it talks to the bundled local server. Its echo model calls a tool only when told
to in so many words, ``call NAME({json})``, so offline each question carries that trigger.
"""

import asyncio
import os
from typing import Annotated, Literal

from realtime_sdk import RealtimeSession, ToolCallFinished, ToolCallStarted, text_message, tool
from realtime_sdk.server import openai_or_local


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
    response = await session.create_response()
    # A response that calls tools is followed by one the SDK asks for with their results (which may call
    # tools again): final() is the first that called none, the answer.
    answer = await response.final()
    return await answer.text()


def show_tool_calls(session: RealtimeSession) -> None:
    """Print the SDK's own tool events as they happen."""

    @session.on(ToolCallStarted)
    def started(event: ToolCallStarted) -> None:  # auto-executed: the SDK is running the tool now
        print(f"  -> {event.call.name}({event.call.arguments})")

    @session.on(ToolCallFinished)
    def finished(event: ToolCallFinished) -> None:  # sent back as a function_call_output
        result = event.result
        print(f"  <- {event.call.name}: {result.output}{' (error)' if result.is_error else ''}")


async def main() -> None:
    offline = not os.environ.get("OPENAI_API_KEY")
    properties = {
        "instructions": "You are a travel agent. Use the tools; answer in one sentence.",
        "output_modalities": ["text"],
    }
    async with (
        openai_or_local() as endpoint,  # the local server without OPENAI_API_KEY, else OpenAI
        RealtimeSession(
            **endpoint,
            session_properties=properties,
            tools=[get_weather, find_flights],  # auto_execute=True (the default): the SDK runs them
            history=HISTORY,
        ) as session,
    ):
        show_tool_calls(session)
        async with asyncio.timeout(60):  # a hang guard
            for question, trigger in QUESTIONS:
                answer = await ask(session, f"{question} {trigger}" if offline else question)
                print(f"agent: {answer}")
        usage = session.conversation.usage
        print(f"({len(session.conversation.items)} items, {usage.total_tokens} tokens)")


if __name__ == "__main__":
    asyncio.run(main())
