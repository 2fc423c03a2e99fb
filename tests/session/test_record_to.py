"""``RealtimeSession(record_to=...)``: the session writes its own frames to a cassette that replays.

The local server answers with ``ScriptedModel`` replies, so the expected text is fixed here.
"""

from __future__ import annotations

from pathlib import Path

from realtime_sdk import RealtimeSession, SessionProperties
from realtime_sdk.recording import Recorder, read_cassette
from realtime_sdk.server import LocalRealtimeServer, ReplayServer, Reply, ScriptedModel

KEY = "sk-record-to-secret-77aa"
TEXT_ONLY = SessionProperties(output_modalities=["text"])


async def ask(session: RealtimeSession, question: str) -> str:
    await session.add_item(question)
    return await (await session.create_response()).text()


async def test_a_session_records_every_frame_and_the_cassette_replays(tmp_path: Path) -> None:
    path = tmp_path / "weather.jsonl"
    model = ScriptedModel([Reply.text("Mild and sunny.")])
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with RealtimeSession(
            KEY, base_url=server.url, session_properties=TEXT_ONLY, record_to=path
        ) as session:
            recorded = await ask(session, "Weather in Paris in May?")
    assert recorded == "Mild and sunny."

    text = path.read_text()
    assert KEY not in text
    cassette = read_cassette(path)
    assert cassette.header.model == "gpt-realtime-2.1"  # the default model, as the URL named it
    assert cassette.header.endpoint == "openai"
    sent = [r.type for r in cassette.sent()]
    assert sent == ["session.update", "conversation.item.create", "response.create"]
    received = [r.type for r in cassette.received()]
    assert received[0] == "session.created"
    assert "session.updated" in received and "response.done" in received
    times = [r.t for r in cassette.records]
    assert times == sorted(times)

    async with ReplayServer(path) as replay:
        async with RealtimeSession(**replay.session_options(), session_properties=TEXT_ONLY) as session:
            replayed = await ask(session, "Weather in Paris in May?")
        assert replay.divergence is None
    assert replayed == recorded


async def test_a_given_recorder_is_left_open_for_its_owner(tmp_path: Path) -> None:
    model = ScriptedModel([Reply.text("One."), Reply.text("Two.")])
    with Recorder(tmp_path / "both.jsonl", keep_audio=False) as recorder:
        async with LocalRealtimeServer(KEY, model=model) as server:
            for question in ("first?", "second?"):
                async with RealtimeSession(
                    KEY, base_url=server.url, session_properties=TEXT_ONLY, record_to=recorder
                ) as session:
                    await ask(session, question)
                assert not recorder.closed
    cassette = read_cassette(tmp_path / "both.jsonl")
    assert [r.type for r in cassette.received()].count("session.created") == 2
    assert [r.type for r in cassette.sent()].count("response.create") == 2
