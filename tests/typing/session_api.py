"""Checked by mypy --strict in tests/session/test_typing_session.py, never run: the session's public types.

Each ``# type: ignore[...]`` marks a mistake mypy must catch; ``--warn-unused-ignores`` fails the check
when it no longer does.
"""

from collections.abc import Callable
from typing import assert_type

from realtime_sdk import (
    RealtimeSession,
    Reconnected,
    ResponseHandle,
    SessionProperties,
    ToolCallStarted,
    UnknownServerEvent,
)
from realtime_sdk._generated import (
    RealtimeConversationItem,
    RealtimeResponse,
    ResponseDone,
    ResponseOutputTextDelta,
)
from realtime_sdk.types import ServerSession


async def iterate(session: RealtimeSession) -> str:
    async for event in session:
        match event:
            case ResponseOutputTextDelta():
                assert_type(event.delta, str)
            case ResponseDone():
                assert_type(event.response, RealtimeResponse)
            case Reconnected():
                assert_type(event.lost_responses, tuple[str, ...])
            case ToolCallStarted():
                return event.call.name
            case UnknownServerEvent():
                return event.type
    return ""


async def handles(session: RealtimeSession) -> None:
    handle = await session.create_response(instructions="Be brief.")
    assert_type(handle, ResponseHandle)
    assert_type(await handle.done(), RealtimeResponse)
    assert_type(await handle.text(), str)
    assert_type(await handle.audio(), bytes)
    async for event in handle:
        if isinstance(event, ResponseOutputTextDelta):
            assert_type(event.delta, str)


async def requests(session: RealtimeSession) -> None:
    assert_type(await session.update_session(instructions="x"), ServerSession)
    assert_type(await session.update_session(SessionProperties(max_output_tokens=5)), ServerSession)
    assert_type(await session.add_item("hi"), RealtimeConversationItem)
    assert_type(await session.retrieve_item("item_1"), RealtimeConversationItem)
    assert_type(await session.send(ResponseDone), str)  # type: ignore[arg-type]


def handlers(session: RealtimeSession) -> None:
    @session.on(ResponseDone)
    def done(event: ResponseDone) -> None:
        assert_type(event.response, RealtimeResponse)

    assert_type(done, Callable[[ResponseDone], None])

    @session.on(ResponseDone)
    async def done_async(event: ResponseDone) -> int:
        return 1

    def text(event: ResponseOutputTextDelta) -> None: ...

    session.on(ResponseOutputTextDelta, text)
    session.on(ResponseDone, text)  # type: ignore[arg-type]

    @session.on("response.done")
    def by_name(event: ResponseDone) -> None: ...

    session.on(Reconnected, lambda e: print(e.restored_items))
