"""Cost of one text delta in ``Conversation.receive``, as the number of deltas in one part grows.

Run: ``.venv/bin/python benchmarks/conversation_text.py`` (``--check`` also asserts the text came out
whole).  Prints µs per delta, best of a few rounds, for N = 100, 1 000 and 10 000 deltas into one part, for
the three streams whose words arrive as deltas:

- ``response.output_text.delta`` into an ``output_text`` part;
- ``response.output_audio_transcript.delta`` into an ``output_audio`` part;
- ``conversation.item.input_audio_transcription.delta`` into a user item's ``input_audio`` part.

The deltas are words of an English sentence with their leading space (about 4 characters each, as the API
sends them).  Every event is decoded by ``realtime_sdk.events.decode`` before the clock starts; the
clock (``time.perf_counter``) runs over the ``Conversation.receive`` calls of the deltas only.  A cost per
delta that stays flat as N grows is linear in the stream; one that grows with N is quadratic.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from realtime_sdk.conversation import Conversation
from realtime_sdk.events import decode

SIZES = (100, 1000, 10000)
WORDS = (
    "The weather in Paris today is mild and mostly dry, with a light breeze from the west and a few "
    "clouds in the late afternoon; take a thin coat if you go out after dark, because it will be cool."
).split()

RESPONSE = {"id": "resp_1", "object": "realtime.response", "status": "in_progress", "output": []}


def deltas(n: int) -> list[str]:
    """``n`` deltas: the sentence's words, each with its leading space, over and over."""
    return [" " + WORDS[i % len(WORDS)] for i in range(n)]


def _decoded(events: list[dict[str, Any]]) -> list[Any]:
    return [decode(json.dumps({"event_id": f"event_{i}", **e}).encode()) for i, e in enumerate(events)]


def _assistant(part_type: str) -> list[dict[str, Any]]:
    item = {"id": "item_1", "object": "realtime.item", "type": "message", "role": "assistant", "content": []}
    where = {"response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0}
    return [
        {"type": "response.created", "response": RESPONSE},
        {"type": "response.output_item.added", "response_id": "resp_1", "output_index": 0, "item": item},
        {"type": "response.content_part.added", **where, "part": {"type": part_type}},
    ]


def output_text(pieces: list[str]) -> tuple[list[Any], list[Any]]:
    where = {"response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0}
    stream = [{"type": "response.output_text.delta", **where, "delta": d} for d in pieces]
    return _decoded(_assistant("output_text")), _decoded(stream)


def output_transcript(pieces: list[str]) -> tuple[list[Any], list[Any]]:
    where = {"response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0}
    stream = [{"type": "response.output_audio_transcript.delta", **where, "delta": d} for d in pieces]
    return _decoded(_assistant("output_audio")), _decoded(stream)


def input_transcript(pieces: list[str]) -> tuple[list[Any], list[Any]]:
    item = {
        "id": "item_1",
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_audio"}],
    }
    setup = [{"type": "conversation.item.added", "previous_item_id": None, "item": item}]
    stream = [
        {"type": "conversation.item.input_audio_transcription.delta", "item_id": "item_1", "content_index": 0}
        | {"delta": d}
        for d in pieces
    ]
    return _decoded(setup), _decoded(stream)


def _part(conversation: Conversation) -> Any:
    item = conversation.item("item_1")
    assert item is not None
    return item.content[0]


STREAMS: dict[
    str, tuple[Callable[[list[str]], tuple[list[Any], list[Any]]], Callable[[Conversation], str]]
] = {
    "output_text": (output_text, lambda c: _part(c).text or ""),
    "output_audio_transcript": (output_transcript, lambda c: _part(c).transcript or ""),
    "input_transcription": (input_transcript, lambda c: _part(c).transcript or ""),
}


def us_per_delta(name: str, n: int, rounds: int, check: bool) -> float:
    build, read = STREAMS[name]
    pieces = deltas(n)
    setup, stream = build(pieces)
    best = float("inf")
    for _ in range(rounds):
        conversation = Conversation(clock=lambda: 0.0)
        for event in setup:
            conversation.receive(event)
        receive = conversation.receive
        start = time.perf_counter()
        for event in stream:
            receive(event)
        best = min(best, time.perf_counter() - start)
        if check:
            got = read(conversation)
            assert got == "".join(pieces), (name, n, len(got))
    return best / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per size; the best one counts")
    parser.add_argument(
        "--check", action="store_true", help="assert every stream's text is the deltas joined"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of deltas")
    args = parser.parse_args()
    print("| stream | " + " | ".join(f"N={n} µs/delta" for n in args.sizes) + " |")
    print("|---|" + "---:|" * len(args.sizes))
    for name in STREAMS:
        cells = [f"{us_per_delta(name, n, args.rounds, args.check):.2f}" for n in args.sizes]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
