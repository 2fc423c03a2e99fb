"""The observer table: each event reaches the observers that want its type, in registration order."""

from __future__ import annotations

from typing import Any

from realtime_sdk.session._observers import Observers


def recorder(name: str, seen: list[str]) -> Any:
    return lambda event: seen.append(f"{name}:{event}")


def test_an_observer_naming_types_gets_only_those_and_order_is_kept() -> None:
    seen: list[str] = []
    obs = Observers()
    obs.add(recorder("all", seen))
    obs.add(recorder("done", seen), ("response.done",))
    obs.add(recorder("all2", seen))
    for kind in ("response.output_text.delta", "response.done"):
        for observer in obs.of(kind):
            observer(kind)  # type: ignore[arg-type]
    assert seen == [
        "all:response.output_text.delta",
        "all2:response.output_text.delta",
        "all:response.done",
        "done:response.done",
        "all2:response.done",
    ]


def test_an_observer_added_later_is_in_the_table_for_types_seen_before() -> None:
    obs = Observers()
    first = recorder("a", [])
    obs.add(first, ("response.done",))
    assert obs.of("response.done") == (first,)
    assert obs.of("rate_limits.updated") == ()
    late = recorder("b", [])
    obs.add(late)
    assert obs.of("response.done") == (first, late)
    assert obs.of("rate_limits.updated") == (late,)
    assert len(obs) == 2


def test_every_type_a_part_wants_is_a_server_event_type() -> None:
    """A misspelt name would silently starve its part of the events it needs."""
    from realtime_sdk._generated.protocols import SERVER_EVENT_TYPES
    from realtime_sdk.protocol import ApprovalBook, ToolBatches
    from realtime_sdk.session._audio_io import AudioIO
    from realtime_sdk.session._input_transcripts import InputTranscripts

    for wants in (AudioIO.WANTS, ToolBatches.WANTS, ApprovalBook.WANTS, InputTranscripts.WANTS):
        assert set(wants) - set(SERVER_EVENT_TYPES) == set()
