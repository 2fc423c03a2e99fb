"""Running one tool call on the event loop: ``run_tool`` (also importable from ``realtime_sdk.tools``).

Async tools are awaited, sync ones run in a worker thread; every failure (unknown tool, invalid
arguments, an exception, the timeout, an output JSON cannot carry or too long) becomes an error
``ToolResult`` the model can read.  Only the caller's cancellation propagates.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping
from typing import Any

from ..tools import (
    DEFAULT_TIMEOUT,
    MAX_OUTPUT_CHARS,
    Tool,
    ToolArgumentsError,
    ToolCall,
    ToolRegistry,
    ToolResult,
)

__all__ = ["run_tool"]


async def run_tool(
    tools: Tool | ToolRegistry | Mapping[str, Tool] | None,
    call: ToolCall,
    timeout: float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - a per-call limit, applied inside
) -> ToolResult:
    """Run one call to completion; every failure becomes an error result, never an exception.

    ``tools`` is the tool itself, or where to look it up by ``call.name``. ``timeout`` (seconds, or
    ``None`` for none) is overridden by the tool's own ``timeout`` when it has one.
    """
    found: Tool | None
    if isinstance(tools, Tool):
        found = tools if tools.name == call.name else None
    elif tools is None:
        found = None
    else:
        found = tools.get(call.name)
    if found is None:
        return ToolResult.error(call, f"unknown tool {call.name!r}")
    try:
        kwargs = found.parse_arguments(call.arguments)
    except ToolArgumentsError as exc:
        return ToolResult.error(call, str(exc))
    limit = found.timeout if found.timeout is not None else timeout
    try:
        async with asyncio.timeout(limit) as scope:
            value = await _call(found, kwargs)
    except TimeoutError:
        if scope.expired():
            return ToolResult.error(call, f"tool {call.name} timed out after {limit:g} s")
        return ToolResult.error(call, f"tool {call.name} failed: TimeoutError")
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return ToolResult.error(call, f"tool {call.name} failed: {detail}")
    try:
        result = ToolResult.ok(call, value)
    except TypeError as exc:
        return ToolResult.error(call, f"tool {call.name} returned a result that is not JSON: {exc}")
    if len(result.output) > MAX_OUTPUT_CHARS:
        return ToolResult.error(
            call,
            f"tool {call.name} returned {len(result.output)} characters, more than the {MAX_OUTPUT_CHARS} "
            "an output may carry; ask for less",
        )
    return result


async def _call(t: Tool, kwargs: dict[str, Any]) -> Any:
    if t.is_async:
        return await t.fn(**kwargs)
    value = await asyncio.to_thread(t.fn, **kwargs)
    if inspect.isawaitable(value):  # a sync wrapper that returns a coroutine
        return await value
    return value
