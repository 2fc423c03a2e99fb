"""Mistakes a new user makes: each gives a typed error at the call that made it, naming the public option
(never a private function), or does what the user meant."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_sdk import (
    ConfigurationError,
    RealtimeSession,
    tool,
)
from realtime_sdk.errors import AudioFormatError, UnknownNameError

from .judge import KEY, judged
from .wsserver import HostileServer, polite


def _session(url: str, **options: Any) -> RealtimeSession:
    return RealtimeSession(KEY, base_url=url, heartbeat=None, **options)


def _named(exc: BaseException, *words: str) -> None:
    text = str(exc)
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    assert "_setup" not in text and "_from_fields" not in text, text


async def test_update_session_with_a_wrongly_typed_field() -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        with pytest.raises(ConfigurationError) as info:
            await s.update_session(instructions=42)
        _named(info.value, "instructions")


@pytest.mark.parametrize(
    ("shortcut", "value", "path"),
    [
        ("voice", "marin", ("audio", "output", "voice")),
        ("turn_detection", None, ("audio", "input", "turn_detection")),
        ("transcription", {"model": "whisper-1"}, ("audio", "input", "transcription")),
    ],
)
async def test_update_session_shortcuts_are_placed(shortcut: str, value: Any, path: tuple[str, ...]) -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        await judge.bounded(s.update_session(**{shortcut: value}))
        sent = next(p.received for p in srv.connections)[-1]
        assert sent["type"] == "session.update"
        node: Any = sent["session"]
        for key in path:
            node = node[key]
        assert node == value


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"instructons": "x"}, ("'instructons'", "did you mean 'instructions'")),
        ({"vioce": "marin"}, ("'vioce'", "did you mean 'voice'")),
        ({"modalities": ["text"]}, ("'modalities'", "output_modalities")),
        ({"voice": 42}, ("voice:", "got `int`")),
        ({"transcription": {"model": 7}}, ("transcription.model:", "got `int`")),
        ({"voice": "marin", "audio": {"output": {"voice": "cedar"}}}, ("voice=", "audio.output.voice")),
    ],
)
async def test_update_session_mistakes_name_the_property(
    changes: dict[str, Any], words: tuple[str, ...]
) -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        before = len(srv.connections[0].received)
        with pytest.raises(ConfigurationError) as info:
            await s.update_session(**changes)
        _named(info.value, "update_session", *words)
        assert len(srv.connections[0].received) == before  # refused before anything was sent


async def test_shortcuts_work_in_session_properties_too() -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url, session_properties={"voice": "cedar", "instructions": "be brief"}))
        await judge.bounded(s.connect())
        sent = next(e for e in srv.connections[0].received if e["type"] == "session.update")
        assert sent["session"]["audio"] == {"output": {"voice": "cedar"}}
        assert sent["session"]["instructions"] == "be brief"


def test_session_properties_mistakes_are_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession(KEY, session_properties={"instructions": 42})
    _named(info.value, "session_properties", "instructions")
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession(KEY, session_properties=42)  # type: ignore[arg-type]
    _named(info.value, "session_properties", "int")


async def test_add_item_with_a_number() -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        with pytest.raises(ConfigurationError) as info:
            await s.add_item(42)  # type: ignore[arg-type]
        _named(info.value, "add_item", "int")
        with pytest.raises(ConfigurationError) as bad:
            await s.add_item({"type": "message", "role": "user", "content": 5})
        _named(bad.value, "add_item", "not a conversation item")
        assert not [e for e in srv.connections[0].received if e.get("type") == "conversation.item.create"]


async def test_add_item_with_a_dict_works_as_history_does() -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        added = await judge.bounded(s.add_item(item))
        assert added.type == "message"
        sent = next(e for e in srv.connections[0].received if e["type"] == "conversation.item.create")
        assert sent["item"]["content"] == item["content"] and sent["item"]["role"] == "user"


async def test_add_item_with_a_dict_that_is_no_item() -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        with pytest.raises(ConfigurationError) as info:
            await s.add_item({"type": "message", "role": "user", "content": "hi"})
        _named(info.value, "add_item", "content")


def test_unknown_constructor_option() -> None:
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession(KEY, foo=1)  # type: ignore[call-arg]
    _named(info.value, "foo", "RealtimeSession()")
    assert isinstance(info.value, UnknownNameError) and isinstance(info.value, TypeError)  # as Python's own
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession(KEY, request_timout=3)  # type: ignore[call-arg]
    _named(info.value, "request_timout", "did you mean 'request_timeout'")
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession(KEY, modle="gpt-realtime")  # type: ignore[call-arg]
    _named(info.value, "modle", "did you mean 'model'")
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession.azure(endpoint="https://x.openai.azure.com", deployment="d", api_key=KEY, foo=1)  # type: ignore[call-arg]
    _named(info.value, "foo", "RealtimeSession.azure()")
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession.attach("rtc_1", KEY, foo=1)  # type: ignore[call-arg]
    _named(info.value, "foo", "RealtimeSession.attach()")


def test_misspelled_event_name() -> None:
    s = RealtimeSession(KEY)
    with pytest.raises(ConfigurationError) as info:
        s.on("response.dnoe", lambda event: None)
    _named(info.value, "response.dnoe", "did you mean 'response.done'")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("response.audio.delta", ("did you mean 'response.output_audio.delta'",)),  # the retired beta name
        ("session.update", ("session.update",)),  # a client event: the server never sends it
        ("sdk.reconected", ("did you mean 'sdk.reconnected'",)),
        ("conversation.item.whatever", ("conversation.item.whatever", "UnknownServerEvent")),
    ],
)
def test_event_names_that_can_never_fire(name: str, words: tuple[str, ...]) -> None:
    s = RealtimeSession(KEY)
    with pytest.raises(UnknownNameError) as info:
        s.on(name, lambda event: None)
    _named(info.value, name, *words)


def test_event_classes_the_server_never_sends_are_refused() -> None:
    from realtime_sdk.events import ResponseDone, SessionUpdate

    s = RealtimeSession(KEY)
    with pytest.raises(ConfigurationError) as info:
        s.on(SessionUpdate, lambda event: None)
    _named(info.value, "SessionUpdate", "session.update")
    with pytest.raises(ConfigurationError):
        s.on(int, lambda event: None)
    s.on(ResponseDone, lambda event: None)  # known names and classes still register
    s.on("sdk.reconnected", lambda event: None)
    s.on("*", lambda event: None)


async def test_event_types_beyond_the_api_namespaces_still_reach_handlers() -> None:
    """A server beyond the document may send its own types: outside the API's namespaces they are taken."""
    import asyncio

    seen = asyncio.Event()
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        s.on("vendor.note", lambda event: seen.set())
        await judge.bounded(s.connect())
        await srv.connections[0].send({"type": "vendor.note"})
        await judge.bounded(seen.wait())


@pytest.mark.parametrize("ms", [0, -5, float("inf"), 0.04])
def test_audio_chunk_ms_must_be_positive(ms: float) -> None:
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession(KEY, audio_chunk_ms=ms)
    _named(info.value, "audio_chunk_ms")
    if ms == 0.04:  # seconds given where milliseconds are meant
        _named(info.value, "did you mean 40?")


@pytest.mark.parametrize("value", [0, -1, float("nan"), "5"])
def test_close_timeout_must_be_positive(value: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        RealtimeSession(KEY, close_timeout=value)
    _named(info.value, "close_timeout")


def test_tool_keywords_with_a_function() -> None:
    def lookup(city: str) -> str:
        """Weather."""
        return city

    made = tool(lookup, name="weather", description="Current weather", timeout=3.0)
    assert (made.name, made.description, made.timeout) == ("weather", "Current weather", 3.0)
    assert (made.definition.name, made.definition.description) == ("weather", "Current weather")


async def test_a_tools_own_timeout_wins_over_the_sessions() -> None:
    import asyncio

    from realtime_sdk.tools import ToolCall, run_tool

    never = asyncio.Event()

    async def slow() -> str:
        """Never answers."""
        await never.wait()
        return "late"

    made = tool(slow, timeout=0.05)
    call = ToolCall(call_id="c1", name="slow", arguments="{}")
    async with asyncio.timeout(2):  # the session's limit (30 s) would blow this bound
        result = await run_tool(made, call, 30.0)
    assert result.is_error and "timed out after 0.05 s" in result.output


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), "3"])
def test_a_tool_timeout_must_be_positive(value: Any) -> None:
    def lookup(city: str) -> str:
        return city

    with pytest.raises(ConfigurationError) as info:
        tool(lookup, timeout=value)
    _named(info.value, "timeout", "lookup")


async def test_an_odd_byte_in_pcm16_is_refused_or_carried() -> None:
    """Either misaligned input is refused, or the carry is exact: split anywhere, the same audio goes out."""
    import base64

    audio = bytes(range(256)) * 40  # 10240 bytes, even
    sent: dict[str, bytes] = {}
    for name, parts in (("whole", [audio]), ("split", [audio[:1001], audio[1001:]])):
        async with HostileServer(polite) as srv, judged(srv) as judge:
            s = judge.track(_session(srv.url))
            await judge.bounded(s.connect())
            try:
                for part in parts:
                    await judge.bounded(s.send_audio(part))
                await judge.bounded(s.flush_audio())
            except AudioFormatError as exc:
                assert name == "split"
                _named(exc, "PCM16")
                return
            await s.close()
            appends = [e for e in srv.connections[0].received if e["type"] == "input_audio_buffer.append"]
            sent[name] = b"".join(base64.b64decode(e["audio"]) for e in appends)
    assert sent["split"] == sent["whole"]


async def _appended(srv: HostileServer, s: RealtimeSession) -> bytes:
    """The audio the server has received so far (an acknowledged request first: frames arrive in order)."""
    import base64

    await s.add_item("barrier")
    appends = [e for e in srv.connections[0].received if e["type"] == "input_audio_buffer.append"]
    return b"".join(base64.b64decode(e["audio"]) for e in appends)


@pytest.mark.parametrize("encoding", ["pcm16", "float32"])
async def test_a_stream_that_ends_inside_a_sample_is_refused_at_flush(encoding: str) -> None:
    frame = 2 if encoding == "pcm16" else 4
    audio = bytes(960 * frame + 1)  # 40 ms of silence and one stray byte
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        await judge.bounded(s.send_audio(audio, encoding=encoding))  # type: ignore[arg-type]
        with pytest.raises(AudioFormatError) as info:
            await judge.bounded(s.flush_audio())
        _named(info.value, "PCM16" if encoding == "pcm16" else "float32", "1 stray byte", "send_audio")
        # The whole samples went out; the stray byte was dropped, so what follows starts aligned.
        assert len(await judge.bounded(_appended(srv, s))) == 960 * 2
        await judge.bounded(s.send_audio(bytes(960 * frame), encoding=encoding))  # type: ignore[arg-type]
        await judge.bounded(s.flush_audio())  # nothing stray any more
        assert len(await judge.bounded(_appended(srv, s))) == 2 * 960 * 2
        await s.close()


async def test_commit_refuses_a_stream_that_ended_inside_a_sample() -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        await judge.bounded(s.send_audio(bytes(4801)))
        with pytest.raises(AudioFormatError) as info:
            await judge.bounded(s.commit_audio())
        _named(info.value, "PCM16", "commit_audio")
        assert len(await judge.bounded(_appended(srv, s))) == 4800
        assert not [e for e in srv.connections[0].received if e["type"] == "input_audio_buffer.commit"]
        await s.close()


async def test_changing_the_input_inside_a_sample_is_refused() -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        await judge.bounded(s.connect())
        await judge.bounded(s.send_audio(bytes(4801)))
        with pytest.raises(AudioFormatError) as info:
            await judge.bounded(s.send_audio(bytes(3200), sample_rate=16000))
        _named(info.value, "PCM16", "1 stray byte", "input changed")
        await judge.bounded(s.flush_audio())  # the stray byte is gone with the old input
        await s.close()


try:
    import pydantic
except ImportError:  # an optional extra: the test below is skipped without it
    pydantic = None  # type: ignore[assignment]

if pydantic is not None:

    class Spot(pydantic.BaseModel):
        lat: float

    class Place(pydantic.BaseModel):
        city: str
        days: int = 1
        spots: list[Spot] = pydantic.Field(default_factory=list)

    def forecast(place: Place) -> str:
        """Forecast."""
        return f"{place.city}:{place.days}"

    def where(city: str) -> Place:
        """Where."""
        return Place(city=city, spots=[Spot(lat=1.5)])


@pytest.mark.skipif(pydantic is None, reason="pydantic not installed")
def test_tool_with_a_pydantic_model_parameter() -> None:
    from realtime_sdk.tools import ToolArgumentsError

    made = tool(forecast)
    params = made.definition.parameters
    assert isinstance(params, dict)
    place = params["properties"]["place"]
    assert place["properties"]["city"]["type"] == "string"
    assert place["required"] == ["city"]
    # The nested model is inlined: the Realtime API gets a self-contained schema, no $ref/$defs.
    assert place["properties"]["spots"]["items"]["properties"]["lat"]["type"] == "number"
    assert "$ref" not in json.dumps(params) and "$defs" not in json.dumps(params)
    # The model validates the model's arguments: an instance with its defaults, or a message for the model.
    kwargs = made.parse_arguments('{"place": {"city": "Oslo", "spots": [{"lat": 2}]}}')
    assert isinstance(kwargs["place"], Place)
    assert (kwargs["place"].days, kwargs["place"].spots) == (1, [Spot(lat=2.0)])
    with pytest.raises(ToolArgumentsError) as info:
        made.parse_arguments('{"place": {"days": 2}}')
    assert "place" in str(info.value) and "city" in str(info.value)


@pytest.mark.skipif(pydantic is None, reason="pydantic not installed")
async def test_tool_returning_a_pydantic_model() -> None:
    from realtime_sdk.tools import ToolCall, run_tool

    made = tool(where)
    result = await run_tool(made, ToolCall(call_id="c", name="where", arguments='{"city": "Oslo"}'), 5.0)
    assert not result.is_error, result.output
    assert json.loads(result.output) == {"city": "Oslo", "days": 1, "spots": [{"lat": 1.5}]}


@pytest.mark.skipif(pydantic is None, reason="pydantic not installed")
def test_a_recursive_pydantic_model_is_refused_when_the_tool_is_made() -> None:
    class Node(pydantic.BaseModel):
        children: list[Node] = pydantic.Field(default_factory=list)

    def walk(root: Node) -> int:
        return len(root.children)

    walk.__annotations__["root"] = Node  # a local class: give the resolved type
    with pytest.raises(TypeError, match="recursive"):
        tool(walk)
