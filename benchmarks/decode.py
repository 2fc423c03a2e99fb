"""Decode speed: this SDK against openai-python's own Realtime event parsing, strict pydantic, json.loads.

Run: ``make bench`` or ``.venv/bin/python benchmarks/decode.py``.  Prints µs per event and ratios measured
in this one run (best of 7 rounds each).

- corpus: the 884 recorded GA server events (tests/data/recorded/openai_ga.server.jsonl)
- audio deltas: ``response.output_audio.delta`` events carrying 100 ms of 24 kHz PCM16 (4800 bytes,
  6400 base64 characters), decoded all the way to raw bytes in every contender.

Contenders, each producing a typed event object:
- this SDK: ``realtime_sdk.events.decode`` (msgspec; bytes are base64-decoded in C during the decode)
- openai-python: ``AsyncRealtimeConnection.parse_event``'s own code path
  (``json.loads`` + ``construct_type_unchecked`` into its pydantic models), plus ``base64.b64decode``
  for the audio payload, which that client leaves to the user
- pydantic strict: a ``TypeAdapter`` over openai-python's event union discriminated on ``type``,
  ``validate_json(strict=True)``, plus ``base64.b64decode`` for the audio payload
- json.loads alone: no types at all (plus ``base64.b64decode`` for audio)
"""

from __future__ import annotations

import base64
import json
import os
import sys
from typing import Annotated, Any, Union, cast, get_args

sys.path.insert(0, os.path.dirname(__file__))

from _common import RECORDED, per_item_us, table

from realtime_sdk import _generated as gen
from realtime_sdk.events import UnknownServerEvent, decode, encode


def openai_contenders() -> tuple[Any, Any]:
    import pydantic
    from openai._models import construct_type_unchecked
    from openai.types.realtime import RealtimeServerEvent

    def openai_parse(data: bytes) -> Any:
        # the body of openai.resources.realtime.realtime.AsyncRealtimeConnection.parse_event
        return construct_type_unchecked(value=json.loads(data), type_=cast(Any, RealtimeServerEvent))

    union = get_args(RealtimeServerEvent)[0]
    members = get_args(union)
    adapter = pydantic.TypeAdapter(Annotated[Union[members], pydantic.Field(discriminator="type")])  # noqa: UP007

    def pydantic_strict(data: bytes) -> Any:
        return adapter.validate_json(data, strict=True)

    return openai_parse, pydantic_strict


def audio_delta_frame() -> bytes:
    pcm = bytes(range(256)) * (4800 // 256) + bytes(4800 % 256)
    event = gen.ResponseOutputAudioDelta(
        event_id="event_DBIfJ1",
        response_id="resp_DBIfJ2",
        item_id="item_DBIfJ3",
        output_index=0,
        content_index=0,
        delta=pcm,
    )
    return encode(event)


def main() -> None:
    corpus = (RECORDED / "openai_ga.server.jsonl").read_bytes().splitlines()
    assert all(not isinstance(decode(f), UnknownServerEvent) for f in corpus)
    openai_parse, pydantic_strict = openai_contenders()
    for frame in corpus:  # every contender must understand every event before it is timed
        pydantic_strict(frame)
    audio = [audio_delta_frame()] * 200

    def run_corpus(fn: Any) -> Any:
        def loop() -> None:
            for frame in corpus:
                fn(frame)

        return loop

    def audio_sdk() -> None:
        for frame in audio:
            event = decode(frame)
            assert isinstance(event, gen.ResponseOutputAudioDelta) and len(event.delta) == 4800

    def audio_with_b64(fn: Any, get: Any) -> Any:
        def loop() -> None:
            for frame in audio:
                base64.b64decode(get(fn(frame)))

        return loop

    corpus_rows = [
        ("realtime-sdk", per_item_us(run_corpus(decode), len(corpus))),
        ("json.loads alone", per_item_us(run_corpus(json.loads), len(corpus))),
        ("openai-python parse_event", per_item_us(run_corpus(openai_parse), len(corpus))),
        ("pydantic strict (openai types)", per_item_us(run_corpus(pydantic_strict), len(corpus))),
    ]
    audio_rows = [
        ("realtime-sdk", per_item_us(audio_sdk, len(audio))),
        (
            "json.loads alone + b64decode",
            per_item_us(audio_with_b64(json.loads, lambda e: e["delta"]), len(audio)),
        ),
        (
            "openai-python parse_event + b64decode",
            per_item_us(audio_with_b64(openai_parse, lambda e: e.delta), len(audio)),
        ),
        (
            "pydantic strict + b64decode",
            per_item_us(audio_with_b64(pydantic_strict, lambda e: e.delta), len(audio)),
        ),
    ]
    print(
        f"Python {sys.version.split()[0]}; {len(corpus)} recorded events; 100 ms audio deltas ({len(audio[0])} bytes)\n"
    )
    print(table("Recorded corpus", corpus_rows, "realtime-sdk"))
    print()
    print(table("Audio deltas, base64 to bytes included", audio_rows, "realtime-sdk"))


if __name__ == "__main__":
    main()
