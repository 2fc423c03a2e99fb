"""Function tools: definitions from Python callables, call parsing, and results as client events.

Theory of operation
-------------------
A :class:`Tool` wraps a sync or async function. Its JSON Schema is built once, when the tool is made,
from the function's signature:

* ``str`` / ``int`` / ``float`` / ``bool`` → ``string`` / ``integer`` / ``number`` / ``boolean``;
  ``list[X]`` (and ``Sequence``, ``set``, ``tuple[X, ...]``) → ``array``; ``dict[str, X]`` → ``object``
  with ``additionalProperties``; ``Any`` or no annotation → any value;
* ``Literal[...]`` and ``enum.Enum`` subclasses → ``enum`` (the values, not the names);
* ``X | None`` / ``Optional[X]`` and parameters with a default are *optional* (not in ``required``);
  a top-level optional parameter without a default receives ``None`` when the model leaves it out;
  inside nested types ``X | None`` is ``anyOf [X, null]``; other unions are ``anyOf``;
* msgspec ``Struct``s, ``TypedDict``s and dataclasses → nested ``object`` schemas, inlined (no
  ``$ref``: the Realtime API's function parameters are kept self-contained);
* pydantic models (when the app uses pydantic; the SDK never imports it otherwise) → the model's own
  JSON Schema, its ``$ref``s inlined, and the model validates the argument (a parameter annotated
  ``Model``, ``Model | None``, ``list[Model]``...; not a model nested inside a dataclass or struct);
* descriptions: ``Annotated[X, "text"]``, ``Annotated[X, Param(description="text")]`` or
  ``Annotated[X, msgspec.Meta(description="text")]``; otherwise the function docstring's ``Args:``
  (Google) or ``Parameters`` (numpy) section. The tool's description is the docstring's first
  paragraph unless given.

A type it cannot describe raises ``TypeError`` when the tool is made, not when the model calls it.

Calls are validated with the same types: the ``arguments`` JSON string is decoded by a msgspec decoder
for a struct built from the signature, so what the function receives has the annotated types (nested
structs are structs, enums are enum members, pydantic models are validated model instances). A
validation failure becomes a readable message for the model (``ToolArgumentsError``). Unknown extra
arguments are ignored.

:func:`run_tool` (defined with the session's I/O and importable from here) is the one
asynchronous helper: it awaits async functions, runs sync ones in a worker
thread (``asyncio.to_thread``), and turns *every* failure — unknown tool, invalid arguments, an
exception, the timeout — into a :class:`ToolResult` with ``is_error`` set and an output the model can
read. It never raises except for cancellation of the caller. A sync function that outlives its timeout
keeps running in its thread (Python cannot stop threads); its result is discarded.

Outputs are strings on the wire: a ``str`` result is sent as is, anything else is JSON-encoded with
msgspec (structs, dataclasses, pydantic models, dicts, lists, sets, numbers, enums, datetimes, UUIDs,
decimals). A result
JSON cannot carry (an arbitrary object) or longer than :data:`MAX_OUTPUT_CHARS` becomes an error output,
as does a failure. Errors are JSON objects ``{"error": "..."}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from ._calls import ToolCall, ToolResult
from ._calls import encode_output as encode_output
from ._schema import Param
from ._tool import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from ._tool import MAX_OUTPUT_CHARS as MAX_OUTPUT_CHARS
from ._tool import Tool, ToolArgumentsError, ToolRegistry, tool

__all__ = [
    "Param",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolRegistry",
    "ToolResult",
    "run_tool",
    "tool",
]


# ``run_tool`` runs a tool on the event loop, so it lives in the edge (``session/_run_tool.py``), the only
# layer that may import asyncio.  Importing it from here keeps working; resolved on first use so that this
# pure module does not import the edge (which imports this module) at import time.
RunTool = Callable[
    [Tool | ToolRegistry | Mapping[str, Tool] | None, ToolCall, float | None], Awaitable[ToolResult]
]


def __getattr__(name: str) -> RunTool:
    if name == "run_tool":
        from ..session._run_tool import run_tool

        return run_tool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
