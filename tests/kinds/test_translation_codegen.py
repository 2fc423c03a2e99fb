"""The translation protocol is generated like the realtime one: the document's own examples decode typed,
and a schema edited with a new translation event regenerates into a union that decodes it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from support import ROOT, shared_or_skip

from codegen.extract import event_members, load_document, protocol_unions
from codegen.generate import generate, load_package
from realtime_sdk import events

SCHEMA = ROOT / "schema" / "realtime.schema.json"


def test_every_translation_server_example_of_the_document_decodes_typed() -> None:
    schemas = load_document(shared_or_skip("openapi/openapi-2026-08-21.yaml"))["components"]["schemas"]
    unions = protocol_unions(schemas)["translation"]
    decoded: dict[str, str] = {}
    for side, decoder in (
        ("server", events.decode_translation),
        ("client", events.decode_translation_client),
    ):
        for name in event_members(schemas, unions[side]):
            example = schemas[name].get("x-oaiMeta", {}).get("example")
            if not isinstance(example, str):
                continue
            event = decoder(example)
            if isinstance(event, events.UnknownTranslationServerEvent | events.UnknownTranslationClientEvent):
                # The document writes a placeholder where base64 audio belongs; nothing else may fail.
                assert event.known_type and "base64" in event.error, (name, event.error)
                continue
            decoded[name] = type(event).__name__
    assert {
        "TranslationSessionCreated",
        "TranslationSessionUpdated",
        "TranslationSessionInputTranscriptDelta",
        "TranslationSessionOutputTranscriptDelta",
        "TranslationSessionClosed",
    } <= set(decoded.values()), decoded
    assert "TranslationSessionUpdate" in decoded.values() or "TranslationSessionClose" in decoded.values()


def test_a_new_translation_event_in_the_schema_regenerates_and_decodes(tmp_path: Path) -> None:
    schema: dict[str, Any] = copy.deepcopy(json.loads(SCHEMA.read_text()))
    schema["$defs"]["RealtimeTranslationServerEventSessionOutputAudioDone"] = {
        "type": "object",
        "properties": {
            "event_id": {"type": "string"},
            "type": {"type": "string", "enum": ["session.output_audio.done"]},
            "elapsed_ms": {"type": "integer"},
        },
        "required": ["event_id", "type"],
    }
    schema["x-protocols"]["translation"]["server"].append(
        "RealtimeTranslationServerEventSessionOutputAudioDone"
    )
    path = tmp_path / "edited.schema.json"
    path.write_text(json.dumps(schema))
    generate(path, tmp_path / "edited")
    frame = b'{"type": "session.output_audio.done", "event_id": "e", "elapsed_ms": 400}'
    with load_package(tmp_path / "edited") as edited:
        done = msgspec.json.Decoder(edited.TranslationServerEvent).decode(frame)
        assert type(done).__name__ == "TranslationSessionOutputAudioDone" and done.elapsed_ms == 400
        # the realtime union did not gain it: each protocol keeps its own events
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.Decoder(edited.ServerEvent).decode(frame)
    # The committed package does not know it yet: an unknown event, not a crash.
    assert isinstance(events.decode_translation(frame), events.UnknownTranslationServerEvent)
