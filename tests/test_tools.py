"""Tools: schemas from type hints and docstrings, argument validation, and runs that never hang."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import json
import threading
from typing import Annotated, Any, Literal, Optional, TypedDict

import msgspec
import pytest

from realtime_sdk import events
from realtime_sdk._generated import (
    ConversationItemCreate,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeFunctionTool,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemDone,
)
from realtime_sdk.tools import (
    MAX_OUTPUT_CHARS,
    Param,
    Tool,
    ToolArgumentsError,
    ToolCall,
    ToolRegistry,
    ToolResult,
    encode_output,
    run_tool,
    tool,
)


class Unit(enum.Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


class Point(msgspec.Struct):
    """A point on the map."""

    lat: float
    lon: float
    label: str | None = None


class Address(TypedDict):
    street: str
    number: int


@dataclasses.dataclass
class Window:
    start: int
    end: int = 0


def props(t: Tool) -> dict[str, Any]:
    properties: dict[str, Any] = t.parameters["properties"]
    return properties


# -- schema ----------------------------------------------------------------------------------------


def test_scalars_and_required() -> None:
    @tool
    def f(a: int, b: float, c: str, d: bool) -> None:
        """Do things."""

    assert f.parameters == {
        "type": "object",
        "properties": {
            "a": {"type": "integer"},
            "b": {"type": "number"},
            "c": {"type": "string"},
            "d": {"type": "boolean"},
        },
        "required": ["a", "b", "c", "d"],
    }
    assert f.description == "Do things."
    assert f.name == "f"


def test_containers() -> None:
    @tool
    def f(xs: list[int], tags: dict[str, str], pair: tuple[int, str], many: tuple[float, ...]) -> None:
        pass

    p = props(f)
    assert p["xs"] == {"type": "array", "items": {"type": "integer"}}
    assert p["tags"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert p["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert p["many"] == {"type": "array", "items": {"type": "number"}}


def test_optional_and_defaults_are_not_required() -> None:
    @tool
    def f(a: int, b: int | None, c: Optional[str], d: int = 3) -> None:  # noqa: UP045 - the point
        pass

    assert f.parameters["required"] == ["a"]
    assert props(f)["b"] == {"type": "integer"}
    assert props(f)["c"] == {"type": "string"}
    assert f.parse_arguments('{"a": 1}') == {"a": 1, "b": None, "c": None, "d": 3}


def test_literal_and_enum() -> None:
    @tool
    def f(mode: Literal["fast", "slow"], unit: Unit, n: Literal[1, 2]) -> None:
        pass

    assert props(f)["mode"] == {"type": "string", "enum": ["fast", "slow"]}
    assert props(f)["unit"] == {"type": "string", "enum": ["c", "f"]}
    assert props(f)["n"] == {"type": "integer", "enum": [1, 2]}
    assert f.parse_arguments('{"mode": "fast", "unit": "f", "n": 2}')["unit"] is Unit.FAHRENHEIT
    with pytest.raises(ToolArgumentsError, match="mode"):
        f.parse_arguments('{"mode": "medium", "unit": "f", "n": 2}')


def test_annotated_descriptions() -> None:
    @tool
    def f(
        city: Annotated[str, "The city"],
        days: Annotated[int, Param("How many days")] = 1,
        meta: Annotated[int, msgspec.Meta(description="From msgspec")] = 0,
        maybe: Annotated[str | None, "Optional text"] = None,
    ) -> None:
        pass

    assert props(f)["city"] == {"type": "string", "description": "The city"}
    assert props(f)["days"] == {"type": "integer", "description": "How many days"}
    assert props(f)["meta"] == {"type": "integer", "description": "From msgspec"}
    assert props(f)["maybe"] == {"type": "string", "description": "Optional text"}
    assert f.parameters["required"] == ["city"]


def test_nested_struct_typeddict_dataclass() -> None:
    @tool
    def f(where: Point, home: Address, window: Window, points: list[Point] | None = None) -> str:
        return f"{where.lat},{home['street']},{window.end},{points}"

    assert props(f)["where"] == {
        "type": "object",
        "properties": {
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "label": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["lat", "lon"],
        "description": "A point on the map.",
    }
    assert props(f)["home"] == {
        "type": "object",
        "properties": {"street": {"type": "string"}, "number": {"type": "integer"}},
        "required": ["street", "number"],
    }
    assert props(f)["window"] == {
        "type": "object",
        "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
        "required": ["start"],
    }
    assert props(f)["points"]["items"]["type"] == "object"
    kwargs = f.parse_arguments(
        '{"where": {"lat": 1.5, "lon": 2}, "home": {"street": "Main", "number": 3}, "window": {"start": 1}}'
    )
    assert kwargs["where"] == Point(lat=1.5, lon=2.0)
    assert kwargs["window"] == Window(start=1)
    assert kwargs["home"] == {"street": "Main", "number": 3}


def test_google_docstring() -> None:
    @tool
    def get_weather(city: str, unit: Unit = Unit.CELSIUS) -> str:
        """Get the current weather.

        Looks it up somewhere.

        Args:
            city: The city to look up,
                for example London.
            unit (Unit): Temperature unit.

        Returns:
            A sentence.
        """
        return city

    assert get_weather.description == "Get the current weather."
    assert props(get_weather)["city"]["description"] == "The city to look up, for example London."
    assert props(get_weather)["unit"]["description"] == "Temperature unit."


def test_numpy_docstring() -> None:
    def lookup(query: str, limit: int = 5) -> list[str]:
        """Search the index.

        Parameters
        ----------
        query : str
            What to search for.
        limit : int
            At most this many
            results.

        Returns
        -------
        list
        """
        return []

    t = Tool.from_function(lookup, name="search", description="Custom.")
    assert t.name == "search"
    assert t.description == "Custom."
    assert props(t)["query"]["description"] == "What to search for."
    assert props(t)["limit"]["description"] == "At most this many results."


def test_annotated_beats_docstring_and_no_docstring() -> None:
    @tool(name="x")
    def f(a: Annotated[int, "from annotation"], b: Any) -> None:
        """Summary line
        continues here.

        Args:
            a: from docstring
        """

    assert props(f)["a"]["description"] == "from annotation"
    assert props(f)["b"] == {}
    assert f.description == "Summary line continues here."

    @tool
    def g() -> None:
        pass

    assert g.description is None
    assert g.parameters == {"type": "object", "properties": {}}
    assert g.definition.description is msgspec.UNSET


def test_definition_is_the_generated_struct() -> None:
    @tool
    def ping(host: str) -> str:
        """Ping a host."""
        return host

    d = ping.definition
    assert isinstance(d, RealtimeFunctionTool)
    wire = json.loads(msgspec.json.encode(d))
    assert wire == {
        "type": "function",
        "name": "ping",
        "description": "Ping a host.",
        "parameters": {"type": "object", "properties": {"host": {"type": "string"}}, "required": ["host"]},
    }
    assert ping("a") == "a"  # still callable as the function


def test_unsupported_types_fail_when_the_tool_is_made() -> None:
    with pytest.raises(TypeError, match="dict keys"):

        @tool
        def f(x: dict[int, str]) -> None:
            pass

    with pytest.raises(TypeError, match=r"\*args cannot be described"):

        @tool
        def g(*args: int) -> None:
            pass

    with pytest.raises(TypeError, match=r"\*\*options cannot be described"):

        @tool
        def g2(city: str, **options: str) -> None:
            pass

    with pytest.raises(TypeError, match="cannot describe"):

        @tool
        def h(x: complex) -> None:
            pass

    with pytest.raises(ValueError, match="tool name"):
        Tool.from_function(lambda: None, name="has space")


def test_optional_containers_any_dicts_defaults_and_keyword_only() -> None:
    @tool
    def search(
        tags: list[int] | None, filters: dict[str, Any], limit: int = 10, *, exact: bool = False
    ) -> None:
        pass

    assert search.parameters == {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "integer"}},
            "filters": {"type": "object", "additionalProperties": {}},
            "limit": {"type": "integer"},
            "exact": {"type": "boolean"},
        },
        "required": ["filters"],
    }
    assert search.parse_arguments('{"filters": {"a": [1, null]}}') == {
        "tags": None,
        "filters": {"a": [1, None]},
        "limit": 10,
        "exact": False,
    }


class Weather:
    """Weather service: the forecast for a city."""

    def __init__(self, unit: str) -> None:
        self.unit = unit

    def forecast(self, city: str) -> str:
        """Forecast for a city.

        Args:
            city: City name.
        """
        return f"{city}: 20 {self.unit}"

    def __call__(self, city: Annotated[str, "City name"]) -> str:
        return self.forecast(city)


def forecast_for(db: object, city: str, days: int = 1) -> str:
    """Forecast from a database.

    Args:
        db: The app's database handle.
        city: City name.
        days: How many days ahead.
    """
    return f"{city} in {days} days"


async def test_methods_callable_objects_and_partials_describe_only_the_models_parameters() -> None:
    bound = Tool(Weather("C").forecast)
    assert (bound.name, bound.description) == ("forecast", "Forecast for a city.")
    assert bound.parameters["properties"] == {"city": {"type": "string", "description": "City name."}}
    assert (await run_tool(bound, call("forecast", '{"city": "Oslo"}'))).output == "Oslo: 20 C"

    obj = Tool(Weather("F"))
    assert (obj.name, obj.description) == ("Weather", "Weather service: the forecast for a city.")
    assert obj.parameters["required"] == ["city"]
    assert (await run_tool(obj, call("Weather", '{"city": "Rome"}'))).output == "Rome: 20 F"

    with pytest.raises(TypeError, match="method taken from its class"):
        Tool(Weather.forecast)

    # The partial's keyword is the app's (a database handle): hidden, and not overridable by the model.
    part = Tool(functools.partial(forecast_for, db=object()))
    assert (part.name, part.description) == ("forecast_for", "Forecast from a database.")
    assert part.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name."},
            "days": {"type": "integer", "description": "How many days ahead."},
        },
        "required": ["city"],
    }
    out = await run_tool(part, call("forecast_for", '{"city": "Oslo", "db": "evil"}'))
    assert out.output == "Oslo in 1 days"
    positional = Tool(functools.partial(forecast_for, None))
    assert list(positional.parameters["properties"]) == ["city", "days"]

    async def slow_echo(text: str) -> str:
        return text

    async_partial = Tool(functools.partial(slow_echo))
    assert async_partial.is_async
    assert (await run_tool(async_partial, call("slow_echo", '{"text": "hi"}'))).output == "hi"


async def test_results_json_cannot_carry_or_too_long_become_error_outputs() -> None:
    class Opaque:
        pass

    @tool
    def opaque() -> Opaque:
        return Opaque()

    @tool
    def huge() -> str:
        return "x" * (MAX_OUTPUT_CHARS + 1)

    @tool
    def just_fits() -> str:
        return "x" * MAX_OUTPUT_CHARS

    bad = await run_tool(opaque, call("opaque"))
    assert bad.is_error and "not JSON" in json.loads(bad.output)["error"]
    big = await run_tool(huge, call("huge"))
    assert big.is_error
    assert json.loads(big.output)["error"] == (
        f"tool huge returned {MAX_OUTPUT_CHARS + 1} characters, more than the {MAX_OUTPUT_CHARS} an output "
        "may carry; ask for less"
    )
    fits = await run_tool(just_fits, call("just_fits"))
    assert not fits.is_error and len(fits.output) == MAX_OUTPUT_CHARS


# -- calls and results ------------------------------------------------------------------------------


def test_parse_arguments_errors_are_readable() -> None:
    @tool
    def f(a: int, b: list[str]) -> None:
        pass

    with pytest.raises(ToolArgumentsError) as e1:
        f.parse_arguments('{"a": "one", "b": []}')
    assert "Expected `int`, got `str` - at `$.a`" in str(e1.value)
    with pytest.raises(ToolArgumentsError, match="missing required field `a`"):
        f.parse_arguments('{"b": []}')
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        f.parse_arguments('{"a": 1,')
    assert f.parse_arguments('{"a": 1, "b": ["x"], "extra": true}') == {"a": 1, "b": ["x"]}


def test_tool_call_from_events_and_items() -> None:
    done = ResponseFunctionCallArgumentsDone(
        event_id="e",
        response_id="r",
        item_id="i",
        output_index=0,
        call_id="c",
        name="n",
        arguments="{}",
    )
    assert ToolCall.from_event(done) == ToolCall("c", "n", "{}", item_id="i", response_id="r")
    item = RealtimeConversationItemFunctionCall(id="i", name="n", arguments="{}", call_id="c")
    out = ResponseOutputItemDone(event_id="e", response_id="r", output_index=0, item=item)
    assert ToolCall.from_event(out) == ToolCall("c", "n", "{}", item_id="i", response_id="r")
    assert ToolCall.from_event(item) == ToolCall("c", "n", "{}", item_id="i")
    no_call = RealtimeConversationItemFunctionCallOutput(call_id="c", output="x")
    assert ToolCall.from_event(no_call) is None


def test_result_event_encodes_as_function_call_output() -> None:
    result = ToolResult(call_id="call_1", output='{"t": 12}')
    ev = result.event()
    assert isinstance(ev, ConversationItemCreate)
    assert json.loads(events.encode(ev)) == {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": "call_1", "output": '{"t": 12}'},
    }
    assert json.loads(events.encode(result.event(previous_item_id="item_9")))["previous_item_id"] == "item_9"


def test_encode_output() -> None:
    assert encode_output("plain text") == "plain text"
    assert json.loads(encode_output({"a": [1, 2]})) == {"a": [1, 2]}
    assert json.loads(encode_output(Point(lat=1, lon=2))) == {"lat": 1, "lon": 2, "label": None}
    assert json.loads(encode_output(Window(1, 2))) == {"start": 1, "end": 2}
    assert encode_output(None) == "null"
    assert encode_output(Unit.CELSIUS) == '"c"'
    assert json.loads(encode_output({3, 1})) in ([1, 3], [3, 1])
    with pytest.raises(TypeError, match="object result cannot be sent as JSON"):
        encode_output(object())
    with pytest.raises(TypeError, match="dict result cannot be sent as JSON"):
        encode_output({"x": object()})


# -- run_tool ---------------------------------------------------------------------------------------


def call(name: str, arguments: str = "{}") -> ToolCall:
    return ToolCall(call_id="call_" + name, name=name, arguments=arguments)


async def test_sync_tool_runs_in_a_thread() -> None:
    main = threading.get_ident()

    @tool
    def where(x: int) -> dict[str, Any]:
        return {"x": x * 2, "other_thread": threading.get_ident() != main}

    result = await run_tool(where, call("where", '{"x": 21}'))
    assert not result.is_error
    assert json.loads(result.output) == {"x": 42, "other_thread": True}
    assert result.call_id == "call_where"


async def test_async_tool_is_awaited_on_the_loop() -> None:
    main = threading.get_ident()

    @tool
    async def hello(name: str) -> str:
        await asyncio.sleep(0)
        assert threading.get_ident() == main
        return f"hello {name}"

    result = await run_tool(ToolRegistry([hello]), call("hello", '{"name": "Ada"}'))
    assert result == ToolResult(call_id="call_hello", output="hello Ada", name="hello")


async def test_raising_tool_becomes_an_error_output() -> None:
    @tool
    def boom() -> None:
        raise RuntimeError("disk on fire")

    result = await run_tool(boom, call("boom"))
    assert result.is_error
    assert json.loads(result.output) == {"error": "tool boom failed: RuntimeError: disk on fire"}


async def test_tool_raising_its_own_timeout_error_is_not_reported_as_our_timeout() -> None:
    @tool
    async def inner() -> None:
        raise TimeoutError

    result = await run_tool(inner, call("inner"), timeout=10)
    assert json.loads(result.output) == {"error": "tool inner failed: TimeoutError"}


async def test_unknown_tool_and_invalid_arguments() -> None:
    @tool
    def add(a: int, b: int) -> int:
        return a + b

    registry = ToolRegistry([add])
    unknown = await run_tool(registry, call("subtract", '{"a": 1}'))
    assert unknown.is_error and "unknown tool 'subtract'" in unknown.output
    assert (await run_tool(add, call("other"))).is_error
    assert (await run_tool(None, call("add"))).is_error
    invalid = await run_tool(registry, call("add", '{"a": 1, "b": "2"}'))
    assert invalid.is_error
    assert "Expected `int`, got `str` - at `$.b`" in json.loads(invalid.output)["error"]
    ok = await run_tool(registry, call("add", '{"a": 1, "b": 2}'))
    assert ok.output == "3"


async def test_slow_async_tool_times_out() -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    @tool
    async def slow() -> str:
        started.set()
        await release.wait()  # never set while the call runs
        return "late"

    result = await run_tool(slow, call("slow"), timeout=0.05)
    assert started.is_set()
    assert result.is_error
    assert json.loads(result.output) == {"error": "tool slow timed out after 0.05 s"}


async def test_slow_sync_tool_times_out_and_its_thread_is_released() -> None:
    release = threading.Event()

    @tool(timeout=0.05)
    def slow_sync() -> str:
        release.wait(timeout=30)
        return "late"

    try:
        result = await run_tool(slow_sync, call("slow_sync"), timeout=None)
        assert result.is_error and "timed out after 0.05 s" in result.output
    finally:
        release.set()


async def test_concurrent_calls_of_one_response() -> None:
    gate = asyncio.Event()
    arrived = 0

    @tool
    async def wait_all(n: int) -> int:
        nonlocal arrived
        arrived += 1
        if arrived == 3:
            gate.set()
        await gate.wait()  # only returns if all three run at once
        return n

    results = await asyncio.gather(
        *(run_tool(wait_all, ToolCall(f"c{n}", "wait_all", f'{{"n": {n}}}'), timeout=5) for n in range(3))
    )
    assert [r.output for r in results] == ["0", "1", "2"]


def test_registry() -> None:
    def a(x: int) -> int:
        return x

    registry = ToolRegistry()
    made = registry.add(a)
    assert "a" in registry and registry.get("a") is made and len(registry) == 1
    assert registry.definitions() == [made.definition]
    assert list(registry) == [made]
    registry.remove("a")
    assert "a" not in registry and registry.definitions() == []
